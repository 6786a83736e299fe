-- Tasks that reach nobody: opened for a role, department and unit no user holds. The writer
-- keeps the flag from the case's task (`TaskInstance::unstaffed`); the queue of a department's
-- heads and of the dispatching clerks reads the open ones in order through the partial index.
ALTER TABLE tasks ADD COLUMN unstaffed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tasks_unstaffed ON tasks (department, created_at) WHERE unstaffed = 1 AND state = 'open';

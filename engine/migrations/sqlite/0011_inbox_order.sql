-- Inbox pages read tasks in (created_at, id) order and stop at the page's end: with the id in
-- the index no sort of a whole department's open tasks is needed (tasks created in one batch
-- share their created_at).
DROP INDEX tasks_inbox;
CREATE INDEX tasks_inbox ON tasks (department, role, state, created_at, id);
DROP INDEX tasks_by_assignee;
CREATE INDEX tasks_by_assignee ON tasks (assignee, state, created_at, id);

-- A case's notifications (the case page) without reading every delivery.
CREATE INDEX deliveries_by_case ON deliveries (case_id, created_at);

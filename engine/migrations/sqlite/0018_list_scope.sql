-- Who and which places a case's tasks reached, kept by the writer beside the aggregate, so a
-- list's scope ("cases I hold or held a task of", "cases that were in my department's inbox")
-- is a check of the case row the list walks in its order, not a look-up in `tasks` per case or
-- a set of every task of a department built per query. `task_holders` is `,a,b,`;
-- `task_places` is `,department@unit,department@,` (no unit: the whole department).
ALTER TABLE cases ADD COLUMN task_holders TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN task_places TEXT NOT NULL DEFAULT '';
UPDATE cases SET task_holders = h.v
FROM (SELECT case_id, ',' || group_concat(DISTINCT assignee) || ',' AS v
      FROM tasks WHERE assignee IS NOT NULL GROUP BY case_id) AS h
WHERE h.case_id = cases.id;
UPDATE cases SET task_places = p.v
FROM (SELECT case_id, ',' || group_concat(DISTINCT department || '@' || COALESCE(unit, '')) || ',' AS v
      FROM tasks GROUP BY case_id) AS p
WHERE p.case_id = cases.id;

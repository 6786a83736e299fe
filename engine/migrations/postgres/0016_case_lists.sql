-- Case lists and search: the columns lists filter and sort on, kept by the writer beside the
-- aggregate (backfilled here from it), and the full-text index of each case's words.
ALTER TABLE cases ADD COLUMN channel TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN tier TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN opened_by TEXT NOT NULL DEFAULT '';
-- 1 once the SLA clock breached.
ALTER TABLE cases ADD COLUMN breached BIGINT NOT NULL DEFAULT 0;
-- The highest supervision level the case reached (0: never supervised).
ALTER TABLE cases ADD COLUMN supervision_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN repeats BIGINT NOT NULL DEFAULT 0;
-- 1 once the case's words are in `case_search`; the engine indexes the others when it starts.
ALTER TABLE cases ADD COLUMN searchable BIGINT NOT NULL DEFAULT 0;
UPDATE cases SET
    channel = COALESCE(data::json->>'channel', ''),
    tier = COALESCE(data::json->>'tier', ''),
    opened_by = COALESCE((SELECT e.actor FROM case_events e WHERE e.case_id = cases.id AND e.seq = 1), ''),
    breached = CASE WHEN (data::json->'sla'->>'breached') = 'true' THEN 1 ELSE 0 END,
    supervision_level = COALESCE((SELECT MAX((r->>'level')::bigint) FROM json_array_elements(
        CASE WHEN json_typeof(data::json->'supervision') = 'array' THEN data::json->'supervision' ELSE '[]'::json END) r), 0),
    repeats = COALESCE((data::json->>'repeats')::bigint, 0);
CREATE INDEX cases_by_opened ON cases (opened_at, id);
CREATE INDEX cases_unsearchable ON cases (id) WHERE searchable = 0;

-- The words of each case (its number and the text of its fields that are not personal data),
-- as the writer cuts them: Chinese as overlapping two-character words, other text as whole
-- words; found through the GIN index by containment.
CREATE TABLE case_search (
    case_id TEXT   PRIMARY KEY,
    terms   TEXT[] NOT NULL
);
CREATE INDEX case_search_terms ON case_search USING GIN (terms);

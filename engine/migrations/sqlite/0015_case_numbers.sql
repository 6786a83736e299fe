-- Case numbers (案件编号): each case's number, unique in the store, and the sequences they are
-- taken from. A sequence is a prefix's running number in one year; `next_value` is the number
-- its next case gets. The writer reads a sequence's row under lock, gives its opened cases the
-- next numbers and writes the row back in the same transaction, so numbers are gap-free and no
-- two nodes give the same one. Cases from before numbering have no number until the engine
-- numbers them when it starts (in the order they were opened).
ALTER TABLE cases ADD COLUMN number TEXT;
CREATE UNIQUE INDEX cases_by_number ON cases (number);

CREATE TABLE case_numbers (
    prefix     TEXT   NOT NULL,
    year       BIGINT NOT NULL,
    next_value BIGINT NOT NULL,
    PRIMARY KEY (prefix, year)
);

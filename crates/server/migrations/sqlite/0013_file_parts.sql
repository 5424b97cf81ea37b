-- With the shared file store of a cluster, a file arrives in parts, each an object of
-- its own. A part counts once it is recorded here, right after the part before it; the
-- file's `received` moves with it in the same transaction. One node never uses this
-- table (its files are single files in the data folder); it exists so that both
-- engines have the same schema.
CREATE TABLE file_parts (
    file_id     BLOB NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    first_byte  INTEGER NOT NULL,
    length      INTEGER NOT NULL,
    object      TEXT NOT NULL,
    PRIMARY KEY (file_id, first_byte)
);

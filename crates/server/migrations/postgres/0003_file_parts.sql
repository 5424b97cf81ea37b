-- With the shared file store of a cluster, a file arrives in parts, each an object of
-- its own. A part counts once it is recorded here, right after the part before it; the
-- file's `received` moves with it in the same transaction, conditional on where it
-- was, so two nodes appending at once can't both count.
CREATE TABLE file_parts (
    file_id     UUID NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    first_byte  BIGINT NOT NULL,
    length      BIGINT NOT NULL,
    object      TEXT NOT NULL,
    PRIMARY KEY (file_id, first_byte)
);

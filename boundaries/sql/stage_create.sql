-- One row per source feature of the file being imported; dropped when the import ends.
CREATE TEMP TABLE boundary_source (
    idx integer PRIMARY KEY,
    code text NOT NULL,
    name text,
    properties jsonb NOT NULL,
    office_name text,
    office_email text,
    geom geometry
)

"""Pure format mappers: bytes or trees in, Records out. No HTTP, DB, config or clock."""

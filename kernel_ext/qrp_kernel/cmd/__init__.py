"""One module per magic: parse results in, one core call, something displayable out."""

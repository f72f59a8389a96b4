"""Wire models: request and response shapes with the contract's field names."""

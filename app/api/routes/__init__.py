"""The API's routes, one module per kind of work; importing them registers them on the blueprint."""

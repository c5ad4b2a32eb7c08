"""`todo`: a command-line client for the todo REST API, deployed or local."""

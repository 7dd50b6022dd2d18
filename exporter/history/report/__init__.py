"""The board report: the month's figures from the engine, as CSV or as a PDF pack."""

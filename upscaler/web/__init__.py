"""The HTML side (thin): the upload and submission pages, file views, account pages (API tokens),
the upload form and their URLs. Reads through selectors, writes through services."""

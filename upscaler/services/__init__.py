"""Services own every write and every rule, one module per subject: submissions (uploads),
result_queue (create, cancel), results (running a job), api_submissions, reviews, deletion,
the derived files, quotas, tokens, webhooks, recovery and retention."""

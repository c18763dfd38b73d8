// Keeps pw_frontend non-empty.

"""`sao serve`: one warm engine shared by every `sao` call (docs/serve.md).

- paths:    where the socket lives (0700 folder, 0600 socket).
- protocol: the newline-delimited JSON messages and their checks.
- server:   the asyncio server: connections, lifecycle, stale sockets, status.
- jobs:     the queue and the one worker thread that runs `run_edit`.
- warm:     the one loaded neural editor, kept between jobs.
- client:   find a server, send it a job, or run the job in-process.

Importing this package imports nothing heavy; the client never imports torch.
"""

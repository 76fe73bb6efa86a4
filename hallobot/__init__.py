"""The `hallobot` command: run one service, run everything (`hallobot up`), maintenance tasks."""

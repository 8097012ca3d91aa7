"""The ground floor every app builds on: problem errors, public ids, configuration, queueing, uploads, PDF,
request plumbing (request ids, client addresses) and the shared REST machinery. It imports no app."""

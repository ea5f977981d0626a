"""The transactional outbox: every task hand-over is a row written in the same transaction as the data that
caused it, handed to the broker after commit and again by a periodic relay until a worker has run it."""

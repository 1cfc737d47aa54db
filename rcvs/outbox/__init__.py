"""The transactional outbox: side effects (mails now, HTTP deliveries later) are written as rows in
the same transaction as the change that causes them, and delivered by the Celery worker afterwards,
with retries. See services.py for the delivery guarantees."""

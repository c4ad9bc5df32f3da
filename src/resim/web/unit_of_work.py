"""The request's unit of work: one session, committed when the route succeeds, rolled back
when it fails (the shape of Polar's ``get_db_session``).

Routes and services never commit: services flush, and this module's dependency decides.
All or nothing, with two named ways to say otherwise:

- :func:`discard`: the route answers with an error it made itself (a form shown again with
  422): nothing it wrote is kept. :func:`resim.web.templating.render` calls it for every
  page with an error status, so a view that re-renders a form cannot keep half a change.
- :func:`keep_failed_try`: what the request wrote so far is kept although the request goes
  on to fail: a wrong code counted, a refusal on record, a poll's time.

A route that still commits by hand works too: the dependency's commit then finds nothing
left to write. Jobs commit in the worker (:func:`resim.db.engine.transaction`).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from resim.deps import Deps

_DISCARDED = "unit_of_work_discarded"


def db(request: Request) -> Iterator[Session]:
    """The request's session: commits once the route has returned its answer (before it
    is sent), unless the route discarded its work; rolls back when the route raises."""
    deps: Deps = request.app.state.deps
    session = deps.sessions()
    try:
        yield session
        if getattr(request.state, _DISCARDED, False):
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def discard(request: Request) -> None:
    """Keep nothing this request writes: it answers with an error it rendered itself.

    The rollback happens when the route returns, so the error page can still show what
    the route loaded; a route that re-reads after the failure rolls back first itself."""
    setattr(request.state, _DISCARDED, True)


def keep_failed_try(session: Session) -> None:
    """Commit now what the request wrote so far, so it stays though the request fails:
    the one way to count a wrong code, keep a refusal on record or a guard's bookkeeping.

    Write the try, call this, then raise or render the error. Inside a
    :func:`resim.db.engine.transaction` block it must be the block's last use of the
    session (the block then ends without a second commit)."""
    session.commit()


# The session closes as soon as the route returns, before the answer is streamed: nothing
# holds a database lock while middleware (Idempotency-Key) writes afterwards, and what the
# middleware stores is the answer to work already committed.
DB = Depends(db, scope="function")

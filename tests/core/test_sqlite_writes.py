"""On SQLite a request that changes something takes the write lock when its
transaction begins: a transaction that had read first could not start writing
once another worker wrote (SQLITE_BUSY at once, which no timeout helps), so
concurrent POSTs would fail instead of waiting their turn."""
import os

import pytest
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.skipif(bool(os.environ.get("PORTAL_TEST_DATABASE_URL")), reason="SQLite only")


@pytest.fixture()
def sqlite_file(app, tmp_path):
    url = f"sqlite:///{tmp_path / 'locks.db'}"
    engine = create_engine(url, connect_args={"timeout": 0.2})
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def test_a_post_request_holds_the_write_lock_from_its_first_read(app, sqlite_file):
    with app.test_request_context("/", method="POST"):
        with sqlite_file.connect() as poster:
            assert poster.execute(text("SELECT count(*) FROM t")).scalar() == 0
            with sqlite_file.connect() as other:  # another worker, outside any request
                with pytest.raises(Exception, match="database is locked"):
                    other.execute(text("INSERT INTO t VALUES (1)"))
                other.rollback()
            poster.execute(text("INSERT INTO t VALUES (2)"))
            poster.commit()
    with sqlite_file.connect() as reader:
        assert reader.execute(text("SELECT n FROM t")).scalars().all() == [2]


def test_a_get_request_reads_without_taking_the_write_lock(app, sqlite_file):
    with app.test_request_context("/", method="GET"):
        with sqlite_file.connect() as getter:
            assert getter.execute(text("SELECT count(*) FROM t")).scalar() == 0
            with sqlite_file.connect() as other:
                other.execute(text("INSERT INTO t VALUES (1)"))
                other.commit()
            getter.rollback()

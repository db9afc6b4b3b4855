//! Statements held for the length of one transaction.
//!
//! rusqlite's statement cache hands a statement out and takes it back on every use: it hashes the
//! statement's text twice, copies it into a new allocation and clears the bindings — about 1,400
//! instructions a use, for statements that cost SQLite a few thousand to run. A station deciding a
//! pushed change runs a dozen of them, and a laptop applying a pulled record half a dozen, the
//! same few texts a thousand times in one transaction (docs/perf/README.md, "Statements held for a
//! transaction"). [`Tx`] keeps each statement it has run out of the cache until the transaction's
//! work is done, and finds it again by its text: a comparison of lengths, then of the text itself,
//! over the few statements a transaction runs.
//!
//! Code that runs statements through [`Prepare`] (the stores' `exec` and `query_one` do) takes a
//! plain connection or transaction as well; only where a [`Tx`] is passed are statements held.

use rusqlite::{CachedStatement, Connection, Statement, Transaction};
use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

/// A transaction that holds the statements run through it until it is dropped (before the
/// transaction commits: the statements borrow it).
pub struct Tx<'t> {
    tx: &'t Transaction<'t>,
    held: RefCell<Vec<Slot<'t>>>,
}

/// A statement's text, and the statement when it is not in use.
struct Slot<'t> {
    sql: Box<str>,
    statement: Option<CachedStatement<'t>>,
}

impl<'t> Tx<'t> {
    pub fn new(tx: &'t Transaction<'_>) -> Tx<'t> {
        Tx {
            tx,
            held: RefCell::default(),
        }
    }

    /// The statement for `sql`, prepared the first time it is asked for in this transaction. A
    /// statement asked for again while still in use (a query run inside its own rows) is prepared
    /// anew through the connection's cache, as without a `Tx`.
    pub fn prepare(&self, sql: &str) -> rusqlite::Result<HeldStatement<'_, 't>> {
        // Where the text is kept, and its statement if no one is using it.
        let (slot, idle) = {
            let mut held = self.held.borrow_mut();
            match held
                .iter()
                .position(|s| s.sql.len() == sql.len() && *s.sql == *sql)
            {
                Some(at) => (at, held[at].statement.take()),
                None => {
                    held.push(Slot {
                        sql: sql.into(),
                        statement: None,
                    });
                    (held.len() - 1, None)
                }
            }
        };
        let statement = match idle {
            Some(statement) => statement,
            None => self.tx.prepare_cached(sql)?,
        };
        Ok(HeldStatement {
            statement: Some(statement),
            slot,
            held: &self.held,
        })
    }
}

impl<'t> Deref for Tx<'t> {
    type Target = Transaction<'t>;

    fn deref(&self) -> &Transaction<'t> {
        self.tx
    }
}

/// A held statement in use; it goes back to its [`Tx`] when dropped.
pub struct HeldStatement<'h, 't> {
    statement: Option<CachedStatement<'t>>,
    slot: usize,
    held: &'h RefCell<Vec<Slot<'t>>>,
}

impl<'t> Deref for HeldStatement<'_, 't> {
    type Target = Statement<'t>;

    fn deref(&self) -> &Statement<'t> {
        self.statement
            .as_deref()
            .expect("a held statement is in use until dropped")
    }
}

impl<'t> DerefMut for HeldStatement<'_, 't> {
    fn deref_mut(&mut self) -> &mut Statement<'t> {
        self.statement
            .as_deref_mut()
            .expect("a held statement is in use until dropped")
    }
}

impl Drop for HeldStatement<'_, '_> {
    fn drop(&mut self) {
        let mut held = self.held.borrow_mut();
        let slot = &mut held[self.slot].statement;
        // A second copy (asked for while the first was in use) goes back to the connection's cache.
        if slot.is_none() {
            *slot = self.statement.take();
        }
    }
}

/// What a statement can be run through: a connection's (or transaction's) statement cache, or the
/// statements a [`Tx`] holds.
pub trait Prepare {
    /// Runs `f` with the statement for `sql`, reset afterwards.
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut Statement<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T>;
}

impl Prepare for Connection {
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut Statement<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        f(&mut *self.prepare_cached(sql)?)
    }
}

/// (A transaction is its connection's; spelled out because a generic argument is not dereferenced.)
impl Prepare for Transaction<'_> {
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut Statement<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        Connection::with_statement(self, sql, f)
    }
}

impl Prepare for Tx<'_> {
    fn with_statement<T>(
        &self,
        sql: &str,
        f: impl FnOnce(&mut Statement<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        f(&mut *self.prepare(sql)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (n INTEGER)").unwrap();
        conn
    }

    #[test]
    fn a_statement_is_held_once_and_found_again_by_its_text() {
        let mut conn = table();
        let tx = conn.transaction().unwrap();
        {
            let held = Tx::new(&tx);
            for n in 0..3 {
                held.with_statement("INSERT INTO t (n) VALUES (?1)", |s| s.execute([n]))
                    .unwrap();
            }
            // A text of the same length but another statement is not taken for it.
            held.with_statement("INSERT INTO t (n) VALUES (?1*9)", |s| s.execute([1]))
                .unwrap();
            assert_eq!(held.held.borrow().len(), 2);
            assert!(held.held.borrow().iter().all(|s| s.statement.is_some()));
        }
        tx.commit().unwrap();
        let sum: i64 = conn
            .query_row("SELECT sum(n) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sum, 3 + 9);
    }

    #[test]
    fn a_statement_asked_for_inside_its_own_rows_runs_as_a_second_copy() {
        let mut conn = table();
        conn.execute_batch("INSERT INTO t (n) VALUES (1), (2), (3)")
            .unwrap();
        let tx = conn.transaction().unwrap();
        let held = Tx::new(&tx);
        let sql = "SELECT n FROM t WHERE n >= ?1 ORDER BY n";
        let mut outer = held.prepare(sql).unwrap();
        let mut pairs = Vec::new();
        let mut rows = outer.query([1]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let n: i64 = row.get(0).unwrap();
            let above: Vec<i64> = held
                .prepare(sql)
                .unwrap()
                .query_map([n + 1], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            pairs.push((n, above));
        }
        drop(rows);
        drop(outer);
        assert_eq!(pairs, vec![(1, vec![2, 3]), (2, vec![3]), (3, vec![])]);
        assert!(held.held.borrow()[0].statement.is_some());
    }
}

using Lakehouse.Query;

namespace Lakehouse.Tests.Query;

/// <summary>Where the statement an EXPLAIN explains starts, read as DuckDB reads comments and strings.</summary>
public sealed class SqlGateTests
{
    [Theory]
    [InlineData("EXPLAIN SELECT 1", "SELECT 1")]
    [InlineData("EXPLAIN ANALYZE SELECT 1", "SELECT 1")]
    [InlineData("explain analyse /* why */ SELECT 1", "SELECT 1")]
    [InlineData("EXPLAIN (ANALYZE, FORMAT json) SELECT (1)", "SELECT (1)")]
    [InlineData("EXPLAIN /* ANALYZE */ /* /* */ ANALYZE */ ANALYZE COPY t TO 'x.csv'", "COPY t TO 'x.csv'")]
    // A string holding "--", then a nested comment: a regex that stripped comments without knowing
    // strings once read this as WITH … SELECT 1, while DuckDB reads an INSERT.
    [InlineData("EXPLAIN ANALYZE WITH a AS (SELECT '--') INSERT INTO t SELECT 1\n/* /* */ ' ) SELECT 1 --*/",
        "WITH a AS (SELECT '--') INSERT INTO t SELECT 1\n/* /* */ ' ) SELECT 1 --*/")]
    public void The_explained_statement_is_the_text_after_EXPLAIN_and_its_options(string sql, string explained) =>
        Assert.Equal(explained, SqlGate.Explained(sql));

    [Theory]
    [InlineData("EXPLAIN")]
    [InlineData("EXPLAIN (ANALYZE")]
    [InlineData("EXPLAIN ANALYZE")]
    [InlineData("SELECT 1")]
    public void Text_that_is_no_EXPLAIN_of_a_statement_is_none(string sql) => Assert.Null(SqlGate.Explained(sql));
}

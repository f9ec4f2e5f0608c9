using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Lakehouse.Common;

namespace Lakehouse.Query;

/// <summary>
/// Lets through exactly one read-only statement, decided by DuckDB's own parser and binder rather
/// than by pattern matching: the text is split into statements (more than one → 403), the one
/// statement is prepared (parse and bind errors → 400 with DuckDB's message; a sandbox refusal → 403),
/// and its prepared statement type must be SELECT (which covers WITH, VALUES, FROM-first, DESCRIBE,
/// SHOW, SUMMARIZE) or EXPLAIN. The statement it prepared is the one that runs. The lock-down of the database is the second wall, not the only one:
/// COPY into the data folder and CREATE VIEW still work under it (docs/dependencies.md).
/// </summary>
internal static class SqlGate
{
    /// <summary>The statement, prepared, when it may run; the caller disposes it.</summary>
    public static DuckDBPreparedStatement Prepare(DuckDBConnection connection, string sql)
    {
        var count = NativeMethods.ExtractStatements.DuckDBExtractStatements(connection.NativeConnection, sql, out var statements);
        using (statements)
        {
            if (count == 0)
            {
                var error = NativeMethods.ExtractStatements.DuckDBExtractStatementsError(statements);
                throw ProblemException.BadRequest(string.IsNullOrWhiteSpace(error) ? "The SQL holds no statement." : error);
            }
            if (count > 1)
            {
                throw ProblemException.Forbidden($"Send one statement per request; DuckDB reads {count} in this SQL (a PIVOT without an IN (…) list of values also expands into several).");
            }
            // The API's own list of statement kinds, checked on the first word of the parsed statement,
            // so that INSERT, PRAGMA and the like are refused as such (403) even where DuckDB rewrites
            // them (PRAGMA show_tables is a SELECT inside) or cannot bind them (INSERT into a view).
            // Safety rests on the statement type below; this only narrows it to what docs/api.md names.
            if (new SqlTokenizer(sql).Next(out var first) && (first.Kind == SqlTokenKind.Word || first.Is(sql, '('))
                && first.Text(sql).ToString() is var opening && !AllowedOpenings.Contains(opening))
            {
                throw ProblemException.Forbidden($"{opening.ToUpperInvariant()} is not allowed: only a single read-only statement (SELECT, WITH, VALUES, FROM, EXPLAIN, DESCRIBE, SHOW or SUMMARIZE).");
            }
            var state = NativeMethods.ExtractStatements.DuckDBPrepareExtractedStatement(connection.NativeConnection, statements, 0, out var prepared);
            try
            {
                if (state != DuckDBState.Success) throw Refusal(NativeMethods.PreparedStatements.DuckDBPrepareError(prepared));
                var type = NativeApi.PreparedStatementType(prepared);
                if (type == NativeApi.ExplainStatement) RequireReadOnlyExplained(connection, sql);
                if (type is not (NativeApi.SelectStatement or NativeApi.ExplainStatement))
                {
                    throw ProblemException.Forbidden("Only a single read-only statement is allowed: SELECT, WITH, VALUES, EXPLAIN, DESCRIBE, SHOW or SUMMARIZE.");
                }
                if (NativeMethods.PreparedStatements.DuckDBParams(prepared) > 0)
                {
                    throw ProblemException.BadRequest("The SQL has parameters ($1, ? or $name), and the API takes none: write the values into the statement.");
                }
                return prepared;
            }
            catch
            {
                prepared.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// EXPLAIN ANALYZE runs the statement it explains, so an explained statement must itself be a
    /// read: it is prepared on its own (never run) and its type decides, as for any statement. Only
    /// finding where it starts is done here, on <see cref="SqlTokenizer"/>'s tokens (after EXPLAIN and
    /// an optional ANALYZE or option list), so a comment or a string is never mistaken for either;
    /// text that does not read that way is refused.
    /// </summary>
    static void RequireReadOnlyExplained(DuckDBConnection connection, string sql)
    {
        var explained = Explained(sql) ?? throw ProblemException.Forbidden("This EXPLAIN could not be checked: write EXPLAIN [ANALYZE] followed by a SELECT.");
        var state = NativeMethods.PreparedStatements.DuckDBPrepare(connection.NativeConnection, explained, out var inner);
        using (inner)
        {
            if (state != DuckDBState.Success) throw Refusal(NativeMethods.PreparedStatements.DuckDBPrepareError(inner));
            if (NativeApi.PreparedStatementType(inner) != NativeApi.SelectStatement)
            {
                throw ProblemException.Forbidden("EXPLAIN may explain only a read-only statement (SELECT, WITH, VALUES, FROM …): EXPLAIN ANALYZE would run it.");
            }
        }
    }

    /// <summary>The text of the statement an EXPLAIN explains: after EXPLAIN, then ANALYZE (or ANALYSE) or a parenthesised option list, or neither.</summary>
    internal static string? Explained(string sql)
    {
        var tokens = new SqlTokenizer(sql);
        if (!tokens.Next(out var token) || !token.Is(sql, "EXPLAIN") || !tokens.Next(out token)) return null;
        if (token.Is(sql, "ANALYZE") || token.Is(sql, "ANALYSE"))
        {
            if (!tokens.Next(out token)) return null;
        }
        else if (token.Is(sql, '('))
        {
            for (var depth = 1; depth > 0;)
            {
                if (!tokens.Next(out token)) return null;
                if (token.Is(sql, '(')) depth++;
                if (token.Is(sql, ')')) depth--;
            }
            if (!tokens.Next(out token)) return null;
        }
        return sql[token.Start..];
    }

    /// <summary>DuckDB's error as the client should see it: sandbox refusals are 403, the rest 400.</summary>
    public static ProblemException Refusal(string message) =>
        message.StartsWith("Permission Error", StringComparison.Ordinal)
            ? ProblemException.Forbidden(message + " (queries may read only the lakehouse's own datasets)")
            : ProblemException.BadRequest(message);

    static readonly HashSet<string> AllowedOpenings = new(StringComparer.OrdinalIgnoreCase)
    {
        "SELECT", "WITH", "VALUES", "FROM", "EXPLAIN", "DESCRIBE", "DESC", "SHOW", "SUMMARIZE", "(",
    };
}

namespace Lakehouse.Query;

/// <summary>DuckDB's error from running a statement through the C API (DuckDB.NET's own exception cannot be made outside it).</summary>
internal sealed class QueryFailedException(string message) : Exception(message);

using System.Globalization;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Lakehouse.Common;
using Lakehouse.Vectors;

namespace Lakehouse.Query;

/// <summary>
/// <c>vector_search(index, vector, k, ef := …, filter := …)</c> in SQL (docs/api.md), when this process
/// hosts the vectors module too: a table macro over a scalar function that runs the index's search and
/// returns its hits as JSON, which the macro unnests into rows (id VARCHAR, distance FLOAT, metadata
/// JSON). A scalar function, not a table function, so the vector may be any expression: a literal,
/// a scalar subquery, a column of a one-row relation. DuckDB.NET cannot read a LIST argument, so
/// the macro hands the vector over as its text; the options (ef, filter) travel as one JSON object.
/// Calls whose arguments are all constants take a faster road to the same search
/// (<see cref="ConstantVectorSearchCalls"/>, <see cref="VectorSearchTableFunction"/>).
/// Rows come nearest first from a plain scan, but a plan that joins (a subquery's vector) may reorder
/// them: as anywhere in SQL, ORDER BY distance is what promises an order.
/// </summary>
internal static class VectorSearchSql
{
    const string Function = "lakehouse_vector_search";

    public static void Register(DuckDBConnection connection, IVectorService vectors)
    {
        connection.RegisterScalarFunction<string?, string?, string?, string?, string>(Function, (index, vector, k, options) => SearchAsJson(vectors, index, vector, k, options));
        using var command = connection.CreateCommand();
        command.CommandText = $$"""
            CREATE MACRO vector_search(index_name, query_vector, k, ef := NULL, filter := NULL) AS TABLE
            SELECT unnest(from_json({{Function}}(index_name, CAST(query_vector AS VARCHAR), CAST(k AS VARCHAR), CAST(json_object('ef', ef, 'filter', filter) AS VARCHAR)),
                '[{"id":"VARCHAR","distance":"FLOAT","metadata":"JSON"}]'), recursive := true)
            """;
        command.ExecuteNonQuery();
        VectorSearchTableFunction.Register(connection, vectors);
    }

    /// <summary>The macro's search: the hits as a JSON array; a ProblemException's message becomes the query's error.</summary>
    static string SearchAsJson(IVectorService vectors, string? index, string? vectorText, string? kText, string? options)
    {
        // k arrives as its text, and ef as JSON, so that one of another type (2.5, 'ten') is this function's
        // 400 naming it, not DuckDB's binder error naming an internal function, nor ignored.
        long? k = kText is null ? null : WholeNumber("k", kText, SearchRequest.MaxK);
        long? ef = null;
        string? filter = null;
        if (options is not null)
        {
            using var parsed = JsonDocument.Parse(options);
            if (parsed.RootElement.TryGetProperty("ef", out var efValue) && efValue.ValueKind != JsonValueKind.Null)
            {
                ef = WholeNumber("ef", efValue.ValueKind == JsonValueKind.String ? efValue.GetString()! : efValue.GetRawText(), SearchRequest.MaxEf);
            }
            // The filter's text arrives as a JSON string (a JSON-typed value, as itself).
            if (parsed.RootElement.TryGetProperty("filter", out var filterValue) && filterValue.ValueKind != JsonValueKind.Null)
            {
                filter = filterValue.ValueKind == JsonValueKind.String ? filterValue.GetString() : filterValue.GetRawText();
            }
        }
        var json = new StringBuilder("[");
        foreach (var hit in Search(vectors, index, vectorText, k, ef, filter))
        {
            if (json.Length > 1) json.Append(',');
            json.Append("{\"id\":").Append(JsonSerializer.Serialize(hit.Id))
                .Append(",\"distance\":").Append(hit.Distance.ToString("R", CultureInfo.InvariantCulture))
                .Append(",\"metadata\":").Append(hit.Metadata is { } metadata ? metadata.GetRawText() : "null").Append('}');
        }
        return json.Append(']').ToString();
    }

    /// <summary>The search both forms of vector_search run, from their arguments as SQL hands them over.</summary>
    public static IReadOnlyList<SearchHit> Search(IVectorService vectors, string? index, string? vectorText, long? k, long? ef, string? filter)
    {
        if (index is null) throw ProblemException.BadRequest("vector_search: the index name is NULL.");
        if (vectorText is null) throw ProblemException.BadRequest("vector_search: the vector is NULL.");
        if (k is not { } wanted) throw ProblemException.BadRequest("vector_search: k is NULL.");
        if (wanted is < 1 or > SearchRequest.MaxK) throw ProblemException.BadRequest($"vector_search: k must be from 1 to {SearchRequest.MaxK}, not {wanted}.");
        if (ef is < 1 or > SearchRequest.MaxEf) throw ProblemException.BadRequest($"vector_search: ef must be from 1 to {SearchRequest.MaxEf}, not {ef}.");
        JsonElement? filterElement = null;
        if (filter is not null)
        {
            try
            {
                using var parsed = JsonDocument.Parse(filter);
                filterElement = parsed.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw ProblemException.BadRequest($"vector_search: filter is not JSON ({e.Message}).");
            }
        }
        var vector = ParseVector(vectorText);
        try
        {
            return vectors.Search(index, new SearchRequest(vector, (int)wanted, (int?)ef, filterElement)).Results;
        }
        catch (ProblemException e)
        {
            // The service's own words name the field as REST knows it; the query's error says whose it is.
            throw new ProblemException(e.Status, e.Title, $"vector_search: {e.Message}", e, e.Type);
        }
    }

    /// <summary>A vector from DuckDB's text of a list or array of numbers: "[0.1, 0.2, …]".</summary>
    static float[] ParseVector(string text)
    {
        var inner = text.AsSpan().Trim();
        if (inner.Length < 2 || inner[0] != '[' || inner[^1] != ']') throw ProblemException.BadRequest($"vector_search: the vector must be a list of numbers, not {Shorten(text)}.");
        inner = inner[1..^1].Trim();
        if (inner.IsEmpty) return [];
        var values = new List<float>(capacity: 1024);
        foreach (var range in inner.Split(','))
        {
            var part = inner[range].Trim();
            if (!float.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw ProblemException.BadRequest($"vector_search: vector[{values.Count}] is {part.ToString()}; values must be numbers.");
            }
            values.Add(value);
        }
        return [.. values];
    }

    /// <summary>A whole-number argument from its text; anything else is a 400 naming it and its bounds.</summary>
    static long WholeNumber(string name, string text, int max) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole)
            ? whole
            : throw ProblemException.BadRequest($"vector_search: {name} must be a whole number from 1 to {max}, not {Shorten(text)}.");

    static string Shorten(string text) => text.Length <= 60 ? text : text[..60] + "…";
}

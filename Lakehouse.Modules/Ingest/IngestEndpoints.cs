using System.Text;
using Lakehouse.Common;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Lakehouse.Ingest;

internal static class IngestEndpoints
{

    static readonly string[] RawCsvTypes = ["text/csv", "application/csv", "text/plain", "application/octet-stream"];

    public static void Map(RouteGroupBuilder group) => group.MapPost("/{dataset}", Ingest).Writes().LimitsItsOwnBody("ingest.max_ingest_bytes")
        .TakesRawBody("text/csv", "multipart/form-data", "application/csv", "text/plain", "application/octet-stream");

    static async Task<Created<IngestResult>> Ingest(string dataset, string? mode, string? delimiter, string? header, string? quotes, string? charset, string? skip,
        HttpContext context, IIngestService ingest, LakehouseConfig config)
    {
        Names.Validate(dataset, "Dataset");
        var options = new IngestOptions(ParseMode(mode), ParseDelimiter(delimiter), ParseHeader(header), ParseQuotes(quotes), ParseSkip(skip));
        var limit = config.Ingest.MaxIngestBytes;
        if (context.Request.ContentLength > limit)
        {
            throw ProblemException.TooLarge($"The body is {context.Request.ContentLength} bytes; ingest.max_ingest_bytes is {limit}.");
        }
        var body = new LimitedReadStream(context.Request.Body, limit, "ingest.max_ingest_bytes");
        var result = await ingest.IngestAsync(dataset, CsvFilesAsync(context.Request, body, charset), options, context.RequestAborted);
        return TypedResults.Created($"/v1/catalog/datasets/{dataset}", result);
    }

    /// <summary>
    /// The CSV files as UTF-8, one after another: each part named "file" of a multipart form (several
    /// make one version), or the raw body; each transcoded from its charset: ?charset= when given
    /// (tools that cannot set a Content-Type parameter), else the one the body or part declares.
    /// </summary>
    static async IAsyncEnumerable<Stream> CsvFilesAsync(HttpRequest request, Stream body, string? charset)
    {
        var contentType = MediaTypeHeaderValue.TryParse(request.ContentType, out var parsed) ? parsed : null;
        if (contentType?.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) == true)
        {
            var boundary = HeaderUtilities.RemoveQuotes(contentType.Boundary).Value;
            if (string.IsNullOrEmpty(boundary)) throw ProblemException.BadRequest("The multipart/form-data body has no boundary.");
            var reader = new MultipartReader(boundary, body) { BodyLengthLimit = null };
            var files = 0;
            while (await reader.ReadNextSectionAsync(request.HttpContext.RequestAborted) is { } section)
            {
                if (ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    && HeaderUtilities.RemoveQuotes(disposition.Name).Equals("file", StringComparison.Ordinal))
                {
                    files++;
                    yield return Utf8(section.Body, charset ?? (MediaTypeHeaderValue.TryParse(section.ContentType, out var part) ? part.Charset.Value : null));
                }
            }
            if (files == 0) throw ProblemException.BadRequest("The multipart/form-data body has no part named 'file'.");
            yield break;
        }
        if (contentType is not null && RawCsvTypes.Contains(contentType.MediaType.Value, StringComparer.OrdinalIgnoreCase))
        {
            yield return Utf8(body, charset ?? contentType.Charset.Value);
            yield break;
        }
        throw ProblemException.UnsupportedMediaType(
            $"Send the CSV as text/csv (curl -H 'Content-Type: text/csv' --data-binary @file.csv) or as multipart/form-data with a part named 'file' (curl -F file=@file.csv); got '{request.ContentType ?? "no content type"}'.");
    }

    /// <summary>
    /// The body as UTF-8. A declared charset is honoured (Content-Type: text/csv; charset=windows-1252,
    /// what Excel's plain "CSV" writes); as browsers do, the Latin-1 labels mean Windows-1252, whose
    /// extra characters (€, curly quotes) are what such files hold in 0x80–0x9F.
    /// </summary>
    static Stream Utf8(Stream body, string? charset)
    {
        var name = charset?.Trim('"').ToLowerInvariant();
        if (name is null or "" or "utf-8" or "utf8" or "us-ascii") return body;
        if (name is "iso-8859-1" or "latin1" or "l1" or "iso_8859-1" or "cp1252") name = "windows-1252";
        Encoding encoding;
        try
        {
            // Code pages (windows-1252, shift_jis, …) come from their provider, the Unicode ones are built in.
            encoding = CodePagesEncodingProvider.Instance.GetEncoding(name) ?? Encoding.GetEncoding(name);
        }
        catch (ArgumentException)
        {
            throw ProblemException.UnsupportedMediaType($"The charset '{charset}' is not one this server knows; send UTF-8, or name a standard charset such as windows-1252.");
        }
        return Encoding.CreateTranscodingStream(body, encoding, Encoding.UTF8, leaveOpen: true);
    }

    static IngestMode ParseMode(string? mode) => mode switch
    {
        null or "append" => IngestMode.Append,
        "replace" => IngestMode.Replace,
        _ => throw ProblemException.BadRequest($"mode must be 'append' or 'replace', not '{mode}'."),
    };

    /// <summary>The delimiter asked for; none means detect it (comma, semicolon, tab or pipe).</summary>
    static byte? ParseDelimiter(string? delimiter)
    {
        if (delimiter is null) return null;
        var value = delimiter is "tab" or "\\t" ? "\t" : delimiter;
        if (value.Length != 1 || value[0] > 127 || value[0] is '"' or '\r' or '\n')
        {
            throw ProblemException.BadRequest($"delimiter must be one ASCII character other than a quote or line break (or 'tab'), not '{delimiter}'.");
        }
        return (byte)value[0];
    }

    /// <summary>Whether a quote inside an unquoted field is text: "strict" (the default) refuses the file instead.</summary>
    static bool ParseQuotes(string? quotes) => quotes switch
    {
        null or "strict" => false,
        "literal" => true,
        _ => throw ProblemException.BadRequest($"quotes must be 'strict' or 'literal', not '{quotes}'."),
    };

    static int ParseSkip(string? skip) =>
        skip is null ? 0
        : int.TryParse(skip, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var lines) && lines <= 1000 ? lines
        : throw ProblemException.BadRequest($"skip must be a whole number of lines from 0 to 1000, not '{skip}'.");

    static bool ParseHeader(string? header) => header switch
    {
        null or "true" => true,
        "false" => false,
        _ => throw ProblemException.BadRequest($"header must be 'true' or 'false', not '{header}'."),
    };
}

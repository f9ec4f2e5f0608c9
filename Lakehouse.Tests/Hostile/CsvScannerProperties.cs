using FsCheck;
using FsCheck.Fluent;
using Lakehouse.Ingest;

namespace Lakehouse.Tests.Hostile;

/// <summary>The CSV scanner on arbitrary bytes: a shape or a CsvFormatException naming a line, never anything else, and the same shape however the bytes arrive.</summary>
public sealed class CsvScannerProperties
{
    // Bytes that matter to a CSV reader, and some that do not: separators, quotes, line ends, UTF-8 lead and continuation bytes, an invalid byte.
    static readonly byte[] Alphabet = [.. "a1.-,;\t|\" \r\n"u8.ToArray(), 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xFF, 0x00];

    static Arbitrary<byte[]> CsvLikeBytes() =>
        Gen.Elements(Alphabet).ArrayOf().Select(bytes => bytes).ToArbitrary();

    static (CsvShape? Shape, string? Error) Scan(byte[] bytes, int chunk, byte? delimiter)
    {
        var scanner = new CsvScanner(delimiter, header: true);
        try
        {
            for (var offset = 0; offset < bytes.Length; offset += chunk) scanner.Feed(bytes.AsSpan(offset, Math.Min(chunk, bytes.Length - offset)));
            return (scanner.Finish(), null);
        }
        catch (CsvFormatException e)
        {
            return (null, e.Message);
        }
    }

    static string Describe((CsvShape? Shape, string? Error) result) => result.Shape is { } shape
        ? $"{string.Join("|", shape.Names)} {string.Join("|", shape.Types)} {shape.Rows} {shape.Delimiter}"
        : "error: " + result.Error;

    [Fact]
    public void Any_bytes_give_a_shape_or_a_line_numbered_refusal_whatever_the_chunking()
    {
        Prop.ForAll(CsvLikeBytes(), Gen.Choose(1, 64).ToArbitrary(), Gen.Elements<byte?>(null, (byte)',', (byte)';').ToArbitrary(), (bytes, chunk, delimiter) =>
        {
            var whole = Scan(bytes, Math.Max(1, bytes.Length), delimiter);
            var chunked = Scan(bytes, chunk, delimiter);
            // A file with several faults may be refused for a different one when its bytes arrive in other
            // pieces (UTF-8 is checked per piece of whole records): both are refusals naming a line.
            return whole.Error is null
                ? Describe(whole) == Describe(chunked)
                : chunked.Error is not null && whole.Error.StartsWith("CSV line ", StringComparison.Ordinal) && chunked.Error.StartsWith("CSV line ", StringComparison.Ordinal);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(3000));
    }
}

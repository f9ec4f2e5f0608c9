using Avro.File;
using Avro.Generic;
using FsCheck;
using FsCheck.Fluent;
using Lakehouse.Catalog.Iceberg;

namespace Lakehouse.Tests.Iceberg;

/// <summary>
/// The Avro container files our Iceberg writer frames by hand, read back by Apache.Avro's reader: every
/// value as written (longs of any size and sign, strings of any text, both branches of a nullable
/// long), the metadata, the null codec, and a file without records.
/// </summary>
public sealed class AvroFileTests
{
    const string Schema = """
        {"type":"record","name":"r","fields":[
          {"name":"n","type":"long"},
          {"name":"s","type":"string"},
          {"name":"maybe","type":["null","long"]},
          {"name":"inner","type":{"type":"record","name":"inner","fields":[{"name":"i","type":"int"}]}}]}
        """;

    sealed record Row(long N, string S, long? Maybe, int I);

    static IReadOnlyList<GenericRecord> Read(byte[] bytes, out IReadOnlyDictionary<string, string> metadata)
    {
        using var reader = DataFileReader<GenericRecord>.OpenReader(new MemoryStream(bytes));
        metadata = reader.GetMetaKeys().ToDictionary(key => key, reader.GetMetaString);
        return [.. reader.NextEntries];
    }

    [Fact]
    public void Every_value_reads_back_as_written_whatever_its_size_sign_or_text()
    {
        var longs = Gen.Elements(0L, 1L, -1L, 63L, 64L, -64L, -65L, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue).Or(ArbMap.Default.GeneratorFor<long>());
        var row = from n in longs
                  from s in ArbMap.Default.GeneratorFor<string>().Where(s => s is not null)
                  from maybe in ArbMap.Default.GeneratorFor<long?>()
                  from i in ArbMap.Default.GeneratorFor<int>()
                  select new Row(n, s, maybe, i);
        var records = row.NonEmptyListOf();
        Prop.ForAll(records.ToArbitrary(), written =>
        {
            var file = new AvroFile(Schema, new Dictionary<string, string> { ["format-version"] = "2" });
            foreach (var (n, s, maybe, i) in written)
            {
                file.Long(n);
                file.String(s);
                file.NullableLong(maybe);
                file.Long(i);
                file.EndRecord();
            }
            var read = Read(file.ToArray(), out _);
            return read.Count == written.Count && read.Zip(written).All(pair =>
                (long)pair.First["n"] == pair.Second.N
                && (string)pair.First["s"] == pair.Second.S
                && (long?)pair.First["maybe"] == pair.Second.Maybe
                && (int)((GenericRecord)pair.First["inner"])["i"] == pair.Second.I);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_metadata_names_the_schema_the_null_codec_and_the_callers_keys()
    {
        var file = new AvroFile(Schema, new Dictionary<string, string> { ["format-version"] = "2", ["content"] = "data" });
        file.Long(7);
        file.String("ä/ß €");
        file.NullableLong(null);
        file.Long(-3);
        file.EndRecord();
        var bytes = file.ToArray();

        var read = Read(bytes, out var metadata);

        Assert.Equal("null", metadata["avro.codec"]);
        Assert.Equal("2", metadata["format-version"]);
        Assert.Equal("data", metadata["content"]);
        Assert.Equal(Avro.Schema.Parse(Schema), Avro.Schema.Parse(metadata["avro.schema"]));
        var record = Assert.Single(read);
        Assert.Equal("ä/ß €", record["s"]);
        Assert.Null(record["maybe"]);
    }

    [Fact]
    public void A_file_without_records_is_readable_and_empty()
    {
        var bytes = new AvroFile(Schema, new Dictionary<string, string>()).ToArray();

        var read = Read(bytes, out var metadata);

        Assert.Empty(read);
        Assert.Equal("null", metadata["avro.codec"]);
    }
}

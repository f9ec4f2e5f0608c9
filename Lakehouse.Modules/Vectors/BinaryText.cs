using System.Text;

namespace Lakehouse.Vectors;

/// <summary>How LHV1 and LHVD store a text: an i32 byte length (−1 for none), then its UTF-8 bytes.</summary>
internal static class BinaryText
{
    public const int MaxBytes = 64 << 20;

    public static void Write(BinaryWriter writer, string? text)
    {
        if (text is null)
        {
            writer.Write(-1);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }
}

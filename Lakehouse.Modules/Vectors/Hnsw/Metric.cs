using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Lakehouse.Vectors.Hnsw;

public enum Metric
{
    L2,
    Cosine,
    Dot,
}

/// <summary>
/// Distances as docs/api.md defines them: l2 is squared Euclidean, cosine is 1 − cos (vectors are
/// normalised once on insert, so it is 1 − a·b), dot is −(a·b). Smaller is nearer for all three.
/// Loops use Vector&lt;T&gt;, which the JIT maps to the widest SIMD the machine has.
/// </summary>
public static class Distances
{
    public static float Compute(Metric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => metric switch
    {
        Metric.L2 => SquaredL2(a, b),
        Metric.Cosine => 1f - Dot(a, b),
        _ => -Dot(a, b),
    };

    // Two accumulators halve the add-latency chain (hnswlib unrolls its AVX loops the same way).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var other = Vector<float>.Zero;
        var i = 0;
        var width = Vector<float>.Count;
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        for (; i <= a.Length - (2 * width); i += 2 * width)
        {
            sum += Vector.LoadUnsafe(ref x, (nuint)i) * Vector.LoadUnsafe(ref y, (nuint)i);
            other += Vector.LoadUnsafe(ref x, (nuint)(i + width)) * Vector.LoadUnsafe(ref y, (nuint)(i + width));
        }
        for (; i <= a.Length - width; i += width)
        {
            sum += Vector.LoadUnsafe(ref x, (nuint)i) * Vector.LoadUnsafe(ref y, (nuint)i);
        }
        var result = Vector.Sum(sum + other);
        for (; i < a.Length; i++) result += a[i] * b[i];
        return result;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float SquaredL2(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector<float>.Zero;
        var other = Vector<float>.Zero;
        var i = 0;
        var width = Vector<float>.Count;
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        for (; i <= a.Length - (2 * width); i += 2 * width)
        {
            var d = Vector.LoadUnsafe(ref x, (nuint)i) - Vector.LoadUnsafe(ref y, (nuint)i);
            var e = Vector.LoadUnsafe(ref x, (nuint)(i + width)) - Vector.LoadUnsafe(ref y, (nuint)(i + width));
            sum += d * d;
            other += e * e;
        }
        for (; i <= a.Length - width; i += width)
        {
            var d = Vector.LoadUnsafe(ref x, (nuint)i) - Vector.LoadUnsafe(ref y, (nuint)i);
            sum += d * d;
        }
        var result = Vector.Sum(sum + other);
        for (; i < a.Length; i++)
        {
            var d = a[i] - b[i];
            result += d * d;
        }
        return result;
    }

    /// <summary>Scales <paramref name="vector"/> to unit length in place; false when it is all zeros.</summary>
    public static bool Normalize(Span<float> vector)
    {
        var norm = MathF.Sqrt(Dot(vector, vector));
        if (norm == 0 || !float.IsFinite(norm)) return false;
        foreach (ref var value in vector) value /= norm;
        return true;
    }
}

using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Fills a dropout mask on the CPU: 1/(1 − p) where an element is kept, 0 where it is dropped, in the type of the tensor it
/// multiplies (so the product is one same-type pass; a bool mask makes libtorch convert every element and was 4× slower).
/// Uniforms are 16-bit slices of SplitMix64 draws of a counter, computed with SIMD vectors and in parallel: the mask depends
/// only on the stream and the position, never on the thread count or the vector width.
/// </summary>
internal static class DropoutKernel
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL, M1 = 0xBF58476D1CE4E5B9UL, M2 = 0x94D049BB133111EBUL;
    private const int Chunk = 1 << 16;   // elements per parallel task; a multiple of every vector width

    /// <summary>The scaled keep-mask for <paramref name="x"/> (float32 or bfloat16; other types get a float32 mask converted).</summary>
    /// <remarks>In bfloat16 the scale is rounded to bfloat16 (1.109 for p = 0.1 instead of 1.111).</remarks>
    public static Tensor ScaledMask(Tensor x, double p, ulong stream)
    {
        var type = x.dtype == ScalarType.BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;
        var mask = empty(x.shape, dtype: type);
        long length = mask.NumberOfElements;
        // Kept where a 16-bit uniform clears p·2¹⁶ (p resolved to 1/65,536).
        ushort threshold = (ushort)Math.Min(65535, Math.Round(p * 65536.0));
        float scale = (float)(1.0 / (1.0 - p));
        int chunks = (int)((length + Chunk - 1) / Chunk);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) }, c =>
        {
            long start = (long)c * Chunk;
            int count = (int)Math.Min(Chunk, length - start);
            if (type == ScalarType.Float32)
                Fill(MemoryMarshal.Cast<byte, float>(mask.bytes).Slice((int)start, count), start, stream, threshold, scale);
            else
                Fill(MemoryMarshal.Cast<byte, ushort>(mask.bytes).Slice((int)start, count), start, stream, threshold, BFloat16Bits(scale));
        });
        return type == x.dtype ? mask : mask.to(x.dtype);
    }

    // Element e (global index) is the (e % 4)-th 16-bit slice, low bits first, of draw Mix(stream + (e / 4)·golden).
    private static void Fill(Span<ushort> dst, long start, ulong stream, ushort threshold, ushort keep)
    {
        int i = 0, width = Vector<ushort>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            var lanes = LaneOffsets();
            var t = new Vector<ushort>(threshold);
            var k = new Vector<ushort>(keep);
            for (; i + width <= dst.Length; i += width)
            {
                var u = Vector.AsVectorUInt16(Mix(new Vector<ulong>(stream + (ulong)((start + i) / 4) * Golden) + lanes));
                (Vector.GreaterThanOrEqual(u, t) & k).CopyTo(dst[i..]);
            }
        }
        for (; i < dst.Length; i++) dst[i] = Slice(start + i, stream) >= threshold ? keep : (ushort)0;
    }

    private static void Fill(Span<float> dst, long start, ulong stream, ushort threshold, float keep)
    {
        int i = 0, width = Vector<ushort>.Count;   // one vector of draws: 2 vectors of floats
        if (Vector.IsHardwareAccelerated)
        {
            var lanes = LaneOffsets();
            var t = new Vector<ushort>(threshold);
            var k = Vector.AsVectorInt32(new Vector<float>(keep));
            for (; i + width <= dst.Length; i += width)
            {
                var u = Vector.AsVectorUInt16(Mix(new Vector<ulong>(stream + (ulong)((start + i) / 4) * Golden) + lanes));
                // All-ones 16-bit lanes where kept; sign extension makes them all-ones 32-bit lanes.
                Vector.Widen(Vector.AsVectorInt16(Vector.GreaterThanOrEqual(u, t)), out var low, out var high);
                Vector.AsVectorSingle(low & k).CopyTo(dst[i..]);
                Vector.AsVectorSingle(high & k).CopyTo(dst[(i + Vector<int>.Count)..]);
            }
        }
        for (; i < dst.Length; i++) dst[i] = Slice(start + i, stream) >= threshold ? keep : 0f;
    }

    /// <summary>Draw offsets of a vector's lanes: lane j draws counter + j·golden.</summary>
    private static Vector<ulong> LaneOffsets()
    {
        Span<ulong> offsets = stackalloc ulong[Vector<ulong>.Count];
        for (int j = 0; j < offsets.Length; j++) offsets[j] = (ulong)j * Golden;
        return new Vector<ulong>(offsets);
    }

    private static ushort Slice(long element, ulong stream) => (ushort)(Mix(stream + (ulong)(element / 4) * Golden) >> (int)(16 * (element % 4)));

    /// <summary>SplitMix64's finaliser: a fast, well-mixed hash of a 64-bit counter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * M1;
        z = (z ^ (z >> 27)) * M2;
        return z ^ (z >> 31);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<ulong> Mix(Vector<ulong> z)
    {
        z = (z ^ Vector.ShiftRightLogical(z, 30)) * new Vector<ulong>(M1);
        z = (z ^ Vector.ShiftRightLogical(z, 27)) * new Vector<ulong>(M2);
        return z ^ Vector.ShiftRightLogical(z, 31);
    }

    /// <summary>float → bfloat16 bits, rounding to nearest even.</summary>
    private static ushort BFloat16Bits(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }
}

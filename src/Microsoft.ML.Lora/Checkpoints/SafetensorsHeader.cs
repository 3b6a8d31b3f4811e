using System.Buffers.Binary;
using System.Text.Json;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// The JSON header of a safetensors file (tensor names, dtypes, shapes, byte ranges), read without loading any tensor:
/// enough to validate a checkpoint or adapter and name the offending tensor before native code sees it.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>One tensor's entry.</summary>
    public sealed record Entry(string DType, long[] Shape, long Begin, long End);

    private SafetensorsHeader(Dictionary<string, Entry> tensors, Dictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>Byte offset in the file where the data section starts (entries' offsets are relative to it).</summary>
    public long DataStart { get; }

    /// <summary>Tensors by name.</summary>
    public IReadOnlyDictionary<string, Entry> Tensors { get; }

    /// <summary>The optional <c>__metadata__</c> strings.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Reads the header of <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not a safetensors file (message names the file).</exception>
    public static SafetensorsHeader Read(string path)
    {
        using var s = File.OpenRead(path);
        return Read(s, path);
    }

    /// <summary>Reads the header from the start of <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static SafetensorsHeader Read(Stream stream, string source)
    {
        Span<byte> len = stackalloc byte[8];
        if (stream.ReadAtLeast(len, 8, throwOnEndOfStream: false) != 8) throw Bad(source, "shorter than 8 bytes");
        long n = BinaryPrimitives.ReadInt64LittleEndian(len);
        long available = stream.CanSeek ? stream.Length - 8 : long.MaxValue;
        if (n <= 0 || n > 100_000_000 || n > available) throw Bad(source, $"header length {n} is not plausible");
        var json = new byte[n];
        if (stream.ReadAtLeast(json, (int)n, throwOnEndOfStream: false) != n) throw Bad(source, "truncated header");
        var tensors = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        long dataLength = available == long.MaxValue ? long.MaxValue : available - n;
        try
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (p.Name == "__metadata__")
                {
                    foreach (var m in p.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                var shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                var offsets = p.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Bad(source, $"tensor '{p.Name}' has data offsets [{string.Join(", ", offsets)}] outside the {dataLength}-byte data section (file truncated?)");
                var dtype = p.Value.GetProperty("dtype").GetString() ?? "";
                // Readers allocate the declared shape: it must be exactly what the byte range holds.
                long expected = Bytes(dtype, shape, p.Name, source);
                if (expected != offsets[1] - offsets[0])
                    throw Bad(source, $"tensor '{p.Name}' is {dtype} [{string.Join(", ", shape)}] ({expected} bytes) but its data offsets span {offsets[1] - offsets[0]} bytes");
                tensors[p.Name] = new Entry(dtype, shape, offsets[0], offsets[1]);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Bad(source, "malformed JSON header: " + e.Message);
        }
        // Overlapping ranges would let a small file declare many full-size tensors over the same bytes.
        long end = 0;
        foreach (var (name, e) in tensors.OrderBy(t => t.Value.Begin).ThenBy(t => t.Value.End))
        {
            if (e.Begin < end && e.End > e.Begin)
                throw Bad(source, $"tensor '{name}' overlaps the bytes of another tensor (data offsets [{e.Begin}, {e.End}])");
            end = Math.Max(end, e.End);
        }
        return new SafetensorsHeader(tensors, metadata, 8 + n);
    }

    /// <summary>Bytes per element of each safetensors dtype this library reads.</summary>
    private static readonly Dictionary<string, int> ElementBytes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    private static long Bytes(string dtype, long[] shape, string name, string source)
    {
        if (!ElementBytes.TryGetValue(dtype, out int size))
            throw Bad(source, $"tensor '{name}' has dtype '{dtype}' (expected one of {string.Join(", ", ElementBytes.Keys)})");
        long total = size;
        foreach (long d in shape)
        {
            if (d < 0) throw Bad(source, $"tensor '{name}' has a negative dimension in [{string.Join(", ", shape)}]");
            try { total = checked(total * d); }
            catch (OverflowException) { throw Bad(source, $"tensor '{name}' declares [{string.Join(", ", shape)}], beyond any file"); }
        }
        return total;
    }

    private static InvalidDataException Bad(string source, string what) => new($"{source} is not a valid safetensors file: {what}.");
}

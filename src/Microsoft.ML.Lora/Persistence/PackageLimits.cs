using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Persistence;

/// <summary>
/// Bounds on what a model .zip from an untrusted source can make the process allocate. ML.NET extracts an entry to a temp
/// file when it is first opened, so sizes are checked in the zip's directory before any entry of ours is opened; a blob's
/// declared length must fit in its entry; and the sizes the model's settings declare (encoder config, label count) must be
/// backed by the bytes of the weights actually present.
/// </summary>
internal static class PackageLimits
{
    /// <summary>The largest entry: .NET arrays (and so one blob) stop at 2 GiB.</summary>
    public const long MaxEntryBytes = int.MaxValue;

    /// <summary>Entries above <see cref="RatioCheckedAbove"/> may expand at most this many times (weights compress ~1.1×, vocabularies ~3×).</summary>
    public const int MaxExpansion = 100;

    public const long RatioCheckedAbove = 16L << 20;

    /// <summary>The most classes (or tags) a head may declare.</summary>
    public const int MaxLabels = 100_000;

    /// <summary>Checks the zip directory entries of the transformer's folder (declared sizes and compression ratios).</summary>
    public static void CheckEntries(ModelLoadContext ctx, string where)
    {
        if (ctx.Repository?._entries is not { } entries) return;
        string folder = (ctx.Directory ?? "").Replace('\\', '/').TrimEnd('/') + "/";
        foreach (var (key, entry) in entries)
        {
            var name = key.Replace('\\', '/');
            if (!name.StartsWith(folder, StringComparison.Ordinal)) continue;
            if (entry.Length > MaxEntryBytes)
                throw new InvalidDataException($"{where}: zip entry '{name}' declares {entry.Length:N0} bytes, beyond the {MaxEntryBytes:N0} a model entry may have.");
            if (entry.Length > RatioCheckedAbove && entry.Length > MaxExpansion * Math.Max(1, entry.CompressedLength))
                throw new InvalidDataException($"{where}: zip entry '{name}' would expand {entry.Length / Math.Max(1, entry.CompressedLength):N0}× (from {entry.CompressedLength:N0} to {entry.Length:N0} bytes), beyond the {MaxExpansion}× of any real model; refusing it.");
        }
    }

    /// <summary>Reads a length-prefixed blob whose <paramref name="declared"/> length must fit in what remains of its entry.</summary>
    public static byte[] ReadBlob(BinaryReader r, long declared, string entry, string where)
    {
        var s = r.BaseStream;
        long remaining = s.CanSeek ? s.Length - s.Position : MaxEntryBytes;
        if (declared < 0 || declared > remaining || declared > MaxEntryBytes)
            throw new InvalidDataException($"{where}: {entry} declares {declared:N0} bytes but holds {remaining:N0} (truncated or damaged).");
        var bytes = r.ReadBytes((int)declared);
        if (bytes.LongLength != declared) throw new EndOfStreamException($"{entry} ends after {bytes.LongLength:N0} of {declared:N0} bytes");
        return bytes;
    }

    /// <summary>
    /// The encoder (unless it comes from the embedded base's <paramref name="baseBytes"/>) and the head must be backed by the
    /// stored weights: a Model.json that declares a huge encoder or label count over a small blob is refused before allocation.
    /// </summary>
    public static void CheckBacked(EncoderConfig config, int numLabels, bool embedded, long weightBytes, long baseBytes, string where)
    {
        if (numLabels < 0 || numLabels > MaxLabels)
            throw new InvalidDataException($"{where}: the head's {numLabels} outputs are outside 0..{MaxLabels}.");
        long needed = (long)numLabels * config.HiddenSize;
        long available = weightBytes / 2;
        if (embedded) available += baseBytes / 2;
        else needed += config.MinimumParameterCount;
        if (embedded && config.MinimumParameterCount > baseBytes / 2)
            throw new InvalidDataException($"{where}: the encoder config declares at least {config.MinimumParameterCount:N0} parameters, more than the embedded base holds; it was not trained on it.");
        if (needed > available)
            throw new InvalidDataException($"{where}: the model declares at least {needed:N0} parameters but its weights hold at most {available:N0}; the settings do not describe these weights.");
    }
}

using System.IO.Compression;
using System.Numerics;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// Reads a <c>pytorch_model.bin</c> (<c>torch.save</c> of a state dict, the zip format of PyTorch ≥ 1.6) into tensors, safely
/// for files from strangers: the pickle is interpreted by <see cref="PickleMachine"/>, which knows only tensors, storages and
/// <c>OrderedDict</c> (any other class — <c>os.system</c>, <c>builtins.eval</c> — is refused by name, nothing is executed);
/// every storage must be backed by its zip entry and every tensor by its storage before anything is allocated, and no
/// entry may expand beyond the file's own size.
/// </summary>
internal static class PyTorchBinReader
{
    /// <summary>The largest data.pkl read: a state dict's pickle holds ~100 bytes per tensor.</summary>
    private const long MaxPickleBytes = 64L << 20;

    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32, ["HalfStorage"] = ScalarType.Float16, ["BFloat16Storage"] = ScalarType.BFloat16,
        ["DoubleStorage"] = ScalarType.Float64, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte, ["BoolStorage"] = ScalarType.Bool,
    };

    private static readonly HashSet<string> AllowedGlobals = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_parameter",
    };

    private sealed record Storage(string Key, ScalarType DType, long Count);

    private sealed record TensorRef(Storage Storage, long Offset, long[] Shape, long[] Stride);

    /// <summary>Reads every tensor of the state dict in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">Not a PyTorch state dict, damaged, or refers to anything but tensors (names the file and the problem).</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        using var file = File.OpenRead(path);
        CheckSignature(file, path);
        ZipArchive zip;
        try { zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new InvalidDataException($"{path}: not a valid PyTorch zip archive ({e.Message}).", e); }
        using (zip)
        {
            foreach (var e in zip.Entries)
                if (e.Length > file.Length)
                    throw new InvalidDataException($"{path}: zip entry '{e.FullName}' would expand to {e.Length:N0} bytes, more than the {file.Length:N0}-byte file (torch.save stores entries uncompressed); refusing it.");
            var pickles = zip.Entries.Where(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl").ToList();
            if (pickles.Count != 1)
                throw new InvalidDataException($"{path}: expected one data.pkl in the archive, found {pickles.Count}; not a torch.save file.");
            var pickle = pickles[0];
            if (pickle.Length > MaxPickleBytes) throw new InvalidDataException($"{path}: data.pkl is {pickle.Length:N0} bytes, beyond the {MaxPickleBytes >> 20} MiB a state dict's pickle may have.");
            string prefix = pickle.FullName[..^"data.pkl".Length];
            var root = new PickleMachine(ReadEntry(pickle, pickle.Length, path), path, (m, n) => AllowedGlobals.Contains($"{m}.{n}") || (m == "torch" && StorageTypes.ContainsKey(n)),
                (g, args) => Reduce(g, args, path), pid => StorageOf(pid, path)).Load();
            var refs = StateDict(root, path);
            return Build(refs, zip, prefix, path);
        }
    }

    private static void CheckSignature(FileStream file, string path)
    {
        Span<byte> head = stackalloc byte[16];
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        file.Position = 0;
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return;
        // The legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False) starts with a pickled magic number.
        ReadOnlySpan<byte> legacyMagic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
        if (n >= 14 && head[0] == 0x80 && head[2] == 0x8a && head.Slice(4, 10).SequenceEqual(legacyMagic))
            throw new InvalidDataException($"{path} was saved with the legacy (pre-1.6) torch.save format, which is not supported; re-save it with torch.save(model.state_dict(), path) or as safetensors.");
        throw new InvalidDataException($"{path} is not a PyTorch checkpoint: it does not start with a zip signature (first bytes {Convert.ToHexString(head[..n])}).");
    }

    private static object? Reduce(PickleMachine.Global g, object?[] args, string path)
    {
        switch (g.ToString())
        {
            case "collections.OrderedDict":
                return new Dictionary<object, object?>();
            case "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_tensor" when args.Length >= 4:
                var storage = args[0] as Storage ?? throw Bad(path, $"{g} expects a storage, got {Describe(args[0])}");
                return new TensorRef(storage, Int(args[1], path, "storage offset"), Ints(args[2], path, "size"), Ints(args[3], path, "stride"));
            case "torch._utils._rebuild_parameter" when args.Length >= 1:
                return args[0] as TensorRef ?? throw Bad(path, $"{g} expects a tensor, got {Describe(args[0])}");
            default:
                throw Bad(path, $"{g} is called with {args.Length} argument(s), which torch.save never writes");
        }
    }

    private static Storage StorageOf(PickleMachine.PersistentId pid, string path)
    {
        var t = pid.Tuple;
        if (t.Length < 5 || t[0] as string != "storage" || t[1] is not PickleMachine.Global type || t[2] is not string key)
            throw Bad(path, "a persistent id is not a (\"storage\", type, key, location, size) tuple");
        if (!StorageTypes.TryGetValue(type.Name, out var dtype)) throw Bad(path, $"storage type {type} is not supported");
        long count = Int(t[4], path, "storage size");
        if (count < 0) throw Bad(path, $"storage '{key}' has a negative size {count}");
        return new Storage(key, dtype, count);
    }

    private static Dictionary<string, TensorRef> StateDict(object? root, string path)
    {
        if (root is not Dictionary<object, object?> dict) throw Bad(path, $"it holds {Describe(root)}, not a state dict (a dict of tensors)");
        var result = new Dictionary<string, TensorRef>(StringComparer.Ordinal);
        foreach (var (k, v) in dict)
            if (k is string name && v is TensorRef t) result[name] = t;
        if (result.Count == 0 && dict.Count > 0)
            throw Bad(path, $"its dict holds no tensors (keys: {string.Join(", ", dict.Keys.Take(5))}); save model.state_dict() itself");
        return result;
    }

    private static Dictionary<string, Tensor> Build(Dictionary<string, TensorRef> refs, ZipArchive zip, string prefix, string path)
    {
        // Check every tensor against its storage and every storage against its entry before allocating anything.
        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        foreach (var (name, t) in refs)
        {
            var s = t.Storage;
            long elementBytes = ElementSize(s.DType);
            if (!entries.ContainsKey(s.Key))
            {
                var entry = zip.GetEntry($"{prefix}data/{s.Key}") ?? throw Bad(path, $"tensor '{name}' refers to storage '{s.Key}', which the archive lacks");
                if (s.Count > entry.Length / elementBytes)
                    throw Bad(path, $"storage '{s.Key}' declares {s.Count:N0} elements of {s.DType} but its entry holds {entry.Length:N0} bytes (truncated?)");
                entries[s.Key] = entry;
            }
            if (t.Shape.Length != t.Stride.Length) throw Bad(path, $"tensor '{name}' has {t.Shape.Length} dimensions but {t.Stride.Length} strides");
            long last = t.Offset;   // the furthest element the view reaches
            foreach (var (size, stride) in t.Shape.Zip(t.Stride))
            {
                if (size < 0 || stride < 0) throw Bad(path, $"tensor '{name}' has a negative size or stride");
                if (size == 0) { last = -1; break; }
                last = checked(last + (size - 1) * stride);
            }
            if (t.Offset < 0 || last >= s.Count)
                throw Bad(path, $"tensor '{name}' [{string.Join(", ", t.Shape)}] reaches element {last:N0} of storage '{s.Key}', which has {s.Count:N0}");
        }
        var storages = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, t) in refs)
            {
                if (!storages.TryGetValue(t.Storage.Key, out var storage))
                {
                    var s = t.Storage;
                    storage = empty(s.Count, s.DType);
                    storage.bytes = ReadEntry(entries[s.Key], s.Count * ElementSize(s.DType), path);
                    storages[s.Key] = storage;
                }
                // A copy of the view: shared storages (tied weights) and offsets into them come out as ordinary tensors.
                result[name] = storage.as_strided(t.Shape, t.Stride, t.Offset).clone();
            }
        }
        catch
        {
            foreach (var r in result.Values) r.Dispose();
            throw;
        }
        finally
        {
            foreach (var s in storages.Values) s.Dispose();
        }
        return result;
    }

    private static byte[] ReadEntry(ZipArchiveEntry entry, long bytes, string path)
    {
        if (bytes > int.MaxValue) throw Bad(path, $"entry '{entry.FullName}' holds {bytes:N0} bytes; tensors above 2 GiB are not supported");
        var buffer = new byte[bytes];
        using var s = entry.Open();
        int read = s.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read != buffer.Length) throw Bad(path, $"entry '{entry.FullName}' ends after {read:N0} of {bytes:N0} bytes (truncated?)");
        return buffer;
    }

    private static long ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    private static long Int(object? o, string path, string what) => o switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        BigInteger => throw Bad(path, $"the {what} is beyond 64 bits"),
        _ => throw Bad(path, $"the {what} is {Describe(o)}, not an integer"),
    };

    private static long[] Ints(object? o, string path, string what)
        => o is object?[] tuple ? tuple.Select(x => Int(x, path, what)).ToArray() : throw Bad(path, $"the {what} is {Describe(o)}, not a tuple");

    private static string Describe(object? o) => o switch
    {
        null => "None",
        string s => $"the string '{s}'",
        Dictionary<object, object?> => "a dict",
        List<object?> => "a list",
        object?[] => "a tuple",
        _ => o.GetType().Name,
    };

    private static InvalidDataException Bad(string path, string what) => new($"{path}: not a readable PyTorch state dict: {what}.");
}

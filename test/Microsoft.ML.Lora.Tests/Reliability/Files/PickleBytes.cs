using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>Writes pickle opcodes by hand, so the tests can craft exactly the torch.save files (and the hostile ones) they need.</summary>
internal sealed class PickleBytes
{
    private readonly MemoryStream s = new();

    public PickleBytes Proto(byte version = 2) => Op(0x80).Byte(version);
    public PickleBytes Global(string module, string name) => Op('c').Ascii(module + "\n" + name + "\n");
    public PickleBytes StackGlobal(string module, string name) => Str(module).Str(name).Op(0x93);
    public PickleBytes Str(string text)
    {
        var b = Encoding.UTF8.GetBytes(text);
        Op('X');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, b.Length);
        s.Write(n);
        s.Write(b);
        return this;
    }
    public PickleBytes Int(int v)
    {
        Op('J');
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(n, v);
        s.Write(n);
        return this;
    }
    public PickleBytes Long(long v)
    {
        Op(0x8a).Byte(8);
        Span<byte> n = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(n, v);
        s.Write(n);
        return this;
    }
    public PickleBytes Mark() => Op('(');
    public PickleBytes Tuple() => Op('t');
    public PickleBytes EmptyTuple() => Op(')');
    public PickleBytes EmptyDict() => Op('}');
    public PickleBytes EmptyList() => Op(']');
    public PickleBytes False() => Op(0x89);
    public PickleBytes Reduce() => Op('R');
    public PickleBytes SetItems() => Op('u');
    public PickleBytes PersistentId() => Op('Q');
    public PickleBytes Stop() => Op('.');
    public PickleBytes Op(char c) => Op((byte)c);
    public PickleBytes Op(byte b) { s.WriteByte(b); return this; }
    public PickleBytes Byte(byte b) { s.WriteByte(b); return this; }
    private PickleBytes Ascii(string text) { s.Write(Encoding.ASCII.GetBytes(text)); return this; }

    public byte[] ToArray() => s.ToArray();

    /// <summary><c>torch._utils._rebuild_tensor_v2(("storage", torch.FloatStorage, key, "cpu", count), offset, shape, stride, False, OrderedDict())</c>.</summary>
    public PickleBytes Tensor(string key, long count, int offset, int[] shape, int[] stride, string storageType = "FloatStorage")
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Long(count).Tuple().PersistentId();
        Int(offset);
        Mark(); foreach (var d in shape) Int(d); Tuple();
        Mark(); foreach (var d in stride) Int(d); Tuple();
        False().Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    /// <summary>An OrderedDict state dict of the tensors <paramref name="items"/> writes (key, then tensor).</summary>
    public static byte[] StateDict(Action<PickleBytes> items)
    {
        var p = new PickleBytes().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark();
        items(p);
        return p.SetItems().Stop().ToArray();
    }

    /// <summary>A torch.save zip: archive/data.pkl plus archive/data/{key} entries, stored uncompressed as PyTorch does.</summary>
    public static void WriteZip(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, CompressionLevel level = CompressionLevel.NoCompression)
    {
        using var f = File.Create(path);
        using var zip = new ZipArchive(f, ZipArchiveMode.Create);
        void Add(string name, byte[] bytes)
        {
            using var e = zip.CreateEntry(name, level).Open();
            e.Write(bytes);
        }
        Add("archive/data.pkl", pickle);
        foreach (var (key, bytes) in storages) Add($"archive/data/{key}", bytes);
        Add("archive/version", Encoding.ASCII.GetBytes("3\n"));
    }

    public static byte[] Floats(params float[] values)
    {
        var b = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, b, 0, b.Length);
        return b;
    }
}

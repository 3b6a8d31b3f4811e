using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// A restricted pickle interpreter for the subset of opcodes <c>torch.save</c> writes (protocols 2–5). It executes nothing:
/// a <c>GLOBAL</c> is only a name, resolved by the caller's allow-list into a marker object, and <c>REDUCE</c> hands the
/// marker and its arguments back to the caller, which builds plain data (dicts, tuples, tensor descriptions) or refuses.
/// Every length is checked against the bytes that remain, so a damaged or hostile pickle fails with a clear error and
/// allocates no more than its own size.
/// </summary>
internal sealed class PickleMachine
{
    /// <summary>A name a GLOBAL opcode pushed (module and qualified name), after the allow-list accepted it.</summary>
    public sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    /// <summary>The argument of a BINPERSID opcode (PyTorch's storage references).</summary>
    public sealed record PersistentId(object?[] Tuple);

    private readonly byte[] data;
    private readonly string source;
    private readonly Func<string, string, bool> allowGlobal;
    private readonly Func<Global, object?[], object?> reduce;
    private readonly Func<PersistentId, object?> persistentLoad;
    private readonly List<object?> stack = new();
    private readonly List<int> marks = new();
    private readonly Dictionary<long, object?> memo = new();
    private int pos;

    public PickleMachine(byte[] data, string source, Func<string, string, bool> allowGlobal, Func<Global, object?[], object?> reduce,
        Func<PersistentId, object?> persistentLoad)
    {
        this.data = data;
        this.source = source;
        this.allowGlobal = allowGlobal;
        this.reduce = reduce;
        this.persistentLoad = persistentLoad;
    }

    /// <summary>Runs the pickle to its STOP opcode and returns the object it built.</summary>
    public object? Load()
    {
        while (true)
        {
            byte op = U8();
            switch (op)
            {
                case 0x80: U8(); break;                                   // PROTO
                case 0x95: Bytes(8); break;                               // FRAME (length only)
                case (byte)'.': return Pop();                             // STOP
                case (byte)'(': marks.Add(stack.Count); break;            // MARK
                case (byte)'}': Push(new Dictionary<object, object?>()); break;
                case (byte)']': Push(new List<object?>()); break;
                case (byte)')': Push(Array.Empty<object?>()); break;
                case (byte)'t': Push(PopToMark().ToArray()); break;       // TUPLE
                case 0x85: Push(new[] { Pop() }); break;                  // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new[] { a, b }); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new[] { a, b, c }); break; }
                case (byte)'N': Push(null); break;
                case 0x88: Push(true); break;                             // NEWTRUE
                case 0x89: Push(false); break;                            // NEWFALSE
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Bytes(4))); break;   // BININT
                case (byte)'K': Push((long)U8()); break;                  // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Bytes(2))); break;  // BININT2
                case 0x8a: Push(Long(U8())); break;                       // LONG1
                case 0x8b: Push(Long(Length(4))); break;                  // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Bytes(8))); break;           // BINFLOAT
                case (byte)'X': Push(Text(Length(4))); break;             // BINUNICODE
                case 0x8c: Push(Text(U8())); break;                       // SHORT_BINUNICODE
                case 0x8d: Push(Text(Length(8))); break;                  // BINUNICODE8
                case (byte)'C': Push(Bytes(U8()).ToArray()); break;       // SHORT_BINBYTES
                case (byte)'B': Push(Bytes(Length(4)).ToArray()); break;  // BINBYTES
                case (byte)'q': memo[U8()] = Peek(); break;               // BINPUT
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4))] = Peek(); break;  // LONG_BINPUT
                case 0x94: memo[memo.Count] = Peek(); break;              // MEMOIZE
                case (byte)'h': Push(Memo(U8())); break;                  // BINGET
                case (byte)'j': Push(Memo(BinaryPrimitives.ReadUInt32LittleEndian(Bytes(4)))); break;  // LONG_BINGET
                case (byte)'c': Push(GlobalOf(Line(), Line())); break;    // GLOBAL
                case 0x93: { var name = Pop() as string; var module = Pop() as string; Push(GlobalOf(module ?? Fail<string>("STACK_GLOBAL needs two strings"), name ?? Fail<string>("STACK_GLOBAL needs two strings"))); break; }
                case (byte)'R':                                           // REDUCE
                    {
                        var args = Pop() as object?[] ?? Fail<object?[]>("REDUCE needs an argument tuple");
                        var callable = Pop() as Global ?? Fail<Global>("REDUCE needs a global to call");
                        Push(reduce(callable, args));
                        break;
                    }
                case (byte)'b': Pop(); break;                             // BUILD: object state (e.g. a state dict's _metadata) is not needed
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItem(Peek(), k, v); break; }   // SETITEM
                case (byte)'u':                                           // SETITEMS
                    {
                        var items = PopToMark();
                        if (items.Count % 2 != 0) Fail<object>("SETITEMS needs key/value pairs");
                        var target = Peek();
                        for (int i = 0; i < items.Count; i += 2) SetItem(target, items[i], items[i + 1]);
                        break;
                    }
                case (byte)'a': { var v = Pop(); ListOf(Peek()).Add(v); break; }                   // APPEND
                case (byte)'e': { var items = PopToMark(); ListOf(Peek()).AddRange(items); break; } // APPENDS
                case (byte)'Q': Push(persistentLoad(new PersistentId(Pop() as object?[] ?? Fail<object?[]>("BINPERSID needs a tuple")))); break;
                default:
                    throw new InvalidDataException($"{source}: pickle opcode 0x{op:X2} at byte {pos - 1} is not one torch.save writes for a state dict; refusing to interpret it.");
            }
        }
    }

    private Global GlobalOf(string module, string name)
        => allowGlobal(module, name) ? new Global(module, name)
            : throw new InvalidDataException($"{source}: the pickle refers to '{module}.{name}', which is not part of a PyTorch state dict " +
                "(only tensors, storages and OrderedDict are); refusing to load it. Nothing was executed; convert trusted weights to safetensors.");

    private static void SetItem(object? target, object? key, object? value)
    {
        if (target is not Dictionary<object, object?> dict) throw new InvalidDataException("SETITEM on something that is not a dict");
        dict[key ?? throw new InvalidDataException("a dict key is None")] = value;
    }

    private List<object?> ListOf(object? target) => target as List<object?> ?? Fail<List<object?>>("APPEND on something that is not a list");

    private object? Memo(long key) => memo.TryGetValue(key, out var v) ? v : Fail<object>($"memo entry {key} is read before it is written");

    private void Push(object? o) => stack.Add(o);

    private object? Peek() => stack.Count > 0 && (marks.Count == 0 || marks[^1] < stack.Count) ? stack[^1] : Fail<object>("the stack is empty");

    private object? Pop()
    {
        var o = Peek();
        stack.RemoveAt(stack.Count - 1);
        return o;
    }

    private List<object?> PopToMark()
    {
        if (marks.Count == 0) Fail<object>("no MARK to pop to");
        int at = marks[^1];
        marks.RemoveAt(marks.Count - 1);
        var items = stack.GetRange(at, stack.Count - at);
        stack.RemoveRange(at, stack.Count - at);
        return items;
    }

    private byte U8() => Bytes(1)[0];

    private ReadOnlySpan<byte> Bytes(long n)
    {
        if (n < 0 || n > data.Length - pos) Fail<object>($"needs {n} bytes at byte {pos}, {data.Length - pos} remain (truncated?)");
        var span = data.AsSpan(pos, (int)n);
        pos += (int)n;
        return span;
    }

    private long Length(int bytes)
    {
        var span = Bytes(bytes);
        ulong n = bytes == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(span) : BinaryPrimitives.ReadUInt64LittleEndian(span);
        return n > int.MaxValue ? Fail<long>($"a length of {n} bytes") : (long)n;
    }

    private string Text(long n)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(Bytes(n)); }
        catch (DecoderFallbackException) { return Fail<string>("a string is not valid UTF-8"); }
    }

    private string Line()
    {
        int end = Array.IndexOf(data, (byte)'\n', pos);
        if (end < 0 || end - pos > 256) Fail<object>("a GLOBAL name is not terminated");
        var s = Encoding.ASCII.GetString(data, pos, end - pos);
        pos = end + 1;
        return s;
    }

    private object Long(long n)
    {
        var bytes = Bytes(n);
        if (bytes.Length <= 8)
        {
            long v = 0;
            for (int i = bytes.Length - 1; i >= 0; i--) v = (v << 8) | bytes[i];
            if (bytes.Length is > 0 and < 8 && (bytes[^1] & 0x80) != 0) v -= 1L << (8 * bytes.Length);   // two's complement
            return v;
        }
        return new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
    }

    private T Fail<T>(string what) => throw new InvalidDataException($"{source}: the pickle is damaged ({what}).");
}

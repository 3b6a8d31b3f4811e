using System.IO.Compression;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>
/// pytorch_model.bin from strangers: the reader builds tensors only (a pickle naming any other class — os.system,
/// builtins.eval — is refused by name and nothing runs), allocates nothing the file does not hold, and names the file.
/// </summary>
public class PytorchBinHostileTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private string Path_() => temp[$"{Guid.NewGuid():N}.bin"];

    [Fact]
    public void AHandWrittenStateDictReadsBackExactlyWithOffsetsStridesAndSharedStorages()
    {
        var path = Path_();
        var pickle = PickleBytes.StateDict(p => p
            .Str("a").Tensor("0", 6, 0, new[] { 2, 3 }, new[] { 3, 1 })
            .Str("a_t").Tensor("0", 6, 0, new[] { 3, 2 }, new[] { 1, 3 })          // a transposed view of the same storage
            .Str("tail").Tensor("0", 6, 4, new[] { 2 }, new[] { 1 })              // offset into it
            .Str("ids").Tensor("1", 2, 0, new[] { 2 }, new[] { 1 }, "LongStorage"));
        PyTorchBinFile(path, pickle, new Dictionary<string, byte[]>
        {
            ["0"] = PickleBytes.Floats(1, 2, 3, 4, 5, 6),
            ["1"] = BitConverter.GetBytes(7L).Concat(BitConverter.GetBytes(-9L)).ToArray(),
        });
        var t = PyTorchBinReader.Read(path);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, t["a"].data<float>().ToArray());
        Assert.Equal(new long[] { 3, 2 }, t["a_t"].shape);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, t["a_t"].contiguous().data<float>().ToArray());
        Assert.Equal(new float[] { 5, 6 }, t["tail"].data<float>().ToArray());
        Assert.Equal(new long[] { 7, -9 }, t["ids"].data<long>().ToArray());
    }

    [Fact]
    public void WhatPyBridgesPicklerWritesReadsBack()
    {
        var path = Path_();
        var tensors = new Dictionary<string, Tensor> { ["w"] = arange(12, dtype: ScalarType.Float32).reshape(3, 4), ["b"] = tensor(new[] { 1.5f, -2f }) };
        using (var f = File.Create(path)) PyTorchPickler.PickleStateDict(f, tensors);
        var read = PyTorchBinReader.Read(path);
        Assert.True(TensorAssert.Identical(tensors["w"], read["w"]));
        Assert.True(TensorAssert.Identical(tensors["b"], read["b"]));
    }

    private static void PyTorchBinFile(string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null)
        => PickleBytes.WriteZip(path, pickle, storages ?? new Dictionary<string, byte[]>());

    public static TheoryData<string, string> CodeExecution => new()
    {
        { "os", "system" },
        { "posix", "system" },
        { "builtins", "eval" },
        { "builtins", "exec" },
        { "__builtin__", "eval" },
        { "subprocess", "Popen" },
        { "torch", "load" },
        { "torch.serialization", "load" },
        { "numpy.core.multiarray", "_reconstruct" },
    };

    [Theory]
    [MemberData(nameof(CodeExecution))]
    public void APickleNamingAnyOtherCallableIsRefusedByNameAndNothingRuns(string module, string name)
    {
        var path = Path_();
        var marker = temp[$"pwned-{Guid.NewGuid():N}"];
        // GLOBAL module.name; ("touch <marker>",) ; REDUCE — what a malicious torch.save payload looks like.
        var pickle = new PickleBytes().Proto().Global(module, name).Mark().Str($"touch {marker}").Tuple().Reduce().Stop().ToArray();
        PyTorchBinFile(path, pickle);
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchBinReader.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains($"'{module}.{name}'", ex.Message);
        Assert.Contains("Nothing was executed", ex.Message);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void AProtocol4StackGlobalIsCheckedToo()
    {
        var path = Path_();
        var pickle = new PickleBytes().Proto(4).StackGlobal("builtins", "eval").Mark().Str("__import__('os').system('id')").Tuple().Reduce().Stop().ToArray();
        PyTorchBinFile(path, pickle);
        Assert.Contains("'builtins.eval'", Assert.Throws<InvalidDataException>(() => PyTorchBinReader.Read(path)).Message);
    }

    public static TheoryData<string, string> Damaged => new()
    {
        { "storage larger than its entry", "declares 1,000,000,000,000 elements" },
        { "view beyond its storage", "reaches element" },
        { "missing storage entry", "which the archive lacks" },
        { "negative storage size", "negative size" },
        { "unknown opcode", "opcode 0xFF" },
        { "truncated pickle", "the pickle is damaged" },
        { "root is a list", "not a state dict" },
        { "dict of dicts", "holds no tensors" },
        { "bad persistent id", "persistent id" },
        { "complex storage", "'torch.ComplexFloatStorage'" },
        { "shape as a string", "not a tuple" },
        { "memo read before write", "memo entry 7" },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void ADamagedOrHostileStateDictIsRefusedWithTheFileAndTheProblem(string what, string expected)
    {
        var path = Path_();
        var storage = new Dictionary<string, byte[]> { ["0"] = PickleBytes.Floats(1, 2, 3, 4) };
        byte[] pickle = what switch
        {
            "storage larger than its entry" => PickleBytes.StateDict(p => p.Str("w").Tensor("0", 1_000_000_000_000, 0, new[] { 4 }, new[] { 1 })),
            "view beyond its storage" => PickleBytes.StateDict(p => p.Str("w").Tensor("0", 4, 0, new[] { 1000, 1000 }, new[] { 1000, 1 })),
            "missing storage entry" => PickleBytes.StateDict(p => p.Str("w").Tensor("9", 4, 0, new[] { 4 }, new[] { 1 })),
            "negative storage size" => PickleBytes.StateDict(p => p.Str("w").Tensor("0", -4, 0, new[] { 4 }, new[] { 1 })),
            "unknown opcode" => new PickleBytes().Proto().Op(0xFF).Stop().ToArray(),
            "truncated pickle" => PickleBytes.StateDict(p => p.Str("w").Tensor("0", 4, 0, new[] { 4 }, new[] { 1 }))[..40],
            "root is a list" => new PickleBytes().Proto().EmptyList().Stop().ToArray(),
            "dict of dicts" => new PickleBytes().Proto().EmptyDict().Mark().Str("state_dict").EmptyDict().SetItems().Stop().ToArray(),
            "bad persistent id" => new PickleBytes().Proto().Mark().Str("nope").Tuple().PersistentId().Stop().ToArray(),
            "complex storage" => PickleBytes.StateDict(p => p.Str("w").Tensor("0", 2, 0, new[] { 2 }, new[] { 1 }, "ComplexFloatStorage")),
            "shape as a string" => PickleBytes.StateDict(p => p.Str("w").Global("torch._utils", "_rebuild_tensor_v2").Mark()
                .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Long(4).Tuple().PersistentId()
                .Int(0).Str("4").Mark().Int(1).Tuple().False().EmptyDict().Tuple().Reduce()),
            _ => new PickleBytes().Proto().Op('h').Byte(7).Stop().ToArray(),
        };
        PyTorchBinFile(path, pickle, storage);
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchBinReader.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void RandomBytesAreNotDescribedAsTheOldPyTorchFormat()
    {
        var path = Path_();
        File.WriteAllBytes(path, Enumerable.Range(0, 1000).Select(i => (byte)(i * 131 % 251)).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchBinReader.Read(path));
        Assert.Contains("is not a PyTorch checkpoint", ex.Message);
        Assert.DoesNotContain("old", ex.Message);
    }

    [Fact]
    public void TheLegacyFormatIsNamedAsSuch()
    {
        var path = Path_();
        var legacy = new byte[] { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 0x02 };
        File.WriteAllBytes(path, legacy);
        Assert.Contains("legacy (pre-1.6) torch.save format", Assert.Throws<InvalidDataException>(() => PyTorchBinReader.Read(path)).Message);
    }

    [Fact]
    public void AZipEntryThatWouldExpandBeyondTheFileIsRefusedBeforeItIsRead()
    {
        var path = Path_();
        var pickle = PickleBytes.StateDict(p => p.Str("w").Tensor("0", 8 << 20, 0, new[] { 8 << 20 }, new[] { 1 }));
        PickleBytes.WriteZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = new byte[32 << 20] }, CompressionLevel.SmallestSize);
        Assert.True(new FileInfo(path).Length < 1 << 20);
        var ex = Assert.Throws<InvalidDataException>(() => PyTorchBinReader.Read(path));
        Assert.Contains("would expand to 33,554,432 bytes", ex.Message);
    }

    [Fact]
    public void AModelFolderWithAHostileBinNamesItThroughTheLoader()
    {
        var folder = Directory.CreateDirectory(temp["model"]).FullName;
        var config = TinyModels.Config(EncoderArchitecture.Bert);
        File.WriteAllText(Path.Combine(folder, "config.json"), config.ToJson());
        var payload = new PickleBytes().Proto().Global("os", "system").Mark().Str("id").Tuple().Reduce().Stop().ToArray();
        PickleBytes.WriteZip(Path.Combine(folder, "pytorch_model.bin"), payload, new Dictionary<string, byte[]> { ["pad"] = new byte[2 * config.MinimumParameterCount] });
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(folder, addPoolingLayer: false));
        Assert.Contains("pytorch_model.bin", ex.Message);
        Assert.Contains("'os.system'", ex.Message);
    }
}

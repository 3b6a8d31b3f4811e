using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>
/// Model zips from strangers: declared blob lengths must fit their entries, declared sizes (encoder, labels, method) must be
/// backed by the stored weights, no entry may expand beyond a bound, and each refusal names the entry and the problem.
/// ML.NET's <c>Model.Load</c> creates our transformer through reflection and wraps its exception in
/// <see cref="TargetInvocationException"/>s (no hook exists before that), so the documented path to the library's message
/// is <c>exception.GetBaseException()</c>; these tests hold both halves of that contract.
/// </summary>
public class ModelZipHostileTests(TinyClassifierFixture saved) : IClassFixture<TinyClassifierFixture>
{
    private string Copy()
    {
        var path = saved.Temp[$"{Guid.NewGuid():N}.zip"];
        File.Copy(saved.Zip, path);
        return path;
    }

    private static void Rewrite(string zip, string entrySuffix, Func<byte[], byte[]> change)
    {
        using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => e.FullName.Replace('\\', '/').EndsWith(entrySuffix, StringComparison.Ordinal));
        byte[] bytes;
        using (var s = entry.Open()) { using var ms = new MemoryStream(); s.CopyTo(ms); bytes = ms.ToArray(); }
        var name = entry.FullName;
        entry.Delete();
        using var w = archive.CreateEntry(name).Open();
        w.Write(change(bytes));
    }

    private static void EditModelJson(string zip, Action<JsonObject> edit) => Rewrite(zip, "/Model.json", bytes =>
    {
        var json = JsonNode.Parse(new BinaryReader(new MemoryStream(bytes)).ReadString())!.AsObject();
        edit(json);
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true)) w.Write(json.ToJsonString());
        return ms.ToArray();
    });

    /// <summary>Loads with a plain Model.Load and returns what the library threw, after checking how ML.NET wrapped it.</summary>
    private static Exception LoadFailure(string zip)
    {
        var ex = Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(zip, out _));
        Assert.IsType<TargetInvocationException>(ex);
        return ex.GetBaseException();
    }

    [Fact]
    public void TheUndamagedCopyLoads() => Assert.NotNull(new MLContext().Model.Load(Copy(), out _));

    [Fact]
    public void AFlippedWeightByteIsReportedAsDamagedBehindMlNetsReflectionWrapper()
    {
        var zip = Copy();
        Rewrite(zip, "/Weights.safetensors", b => { b[^5] ^= 0x40; return b; });
        var inner = LoadFailure(zip);
        Assert.IsType<InvalidDataException>(inner);
        Assert.Contains("Weights.safetensors is damaged (SHA-256", inner.Message);
    }

    public static TheoryData<string, string> Damage => new()
    {
        { "weights length 2^40", "Weights.safetensors declares 1,099,511,627,776 bytes but holds" },
        { "weights length -1", "Weights.safetensors declares -1 bytes" },
        { "vocab length int.MaxValue", "Vocab.txt declares 2,147,483,647 bytes but holds" },
        { "head outputs 10^9", "the head's 1000000000 outputs are outside 0..100000" },
        { "head outputs -1", "head 'outputs' is -1; expected a count of 0 or more" },
        { "hidden_size 4096", "the settings do not describe these weights" },
        { "vocab_size 16777216", "the settings do not describe these weights" },
        { "format 99", "model format 99 is not readable" },
        { "task token-classification", "holds a 'token-classification' model" },
        { "weights hash removed", "Weights.safetensors is damaged (SHA-256" },
        { "lora rank 100000", "\"r\" is 100000 (a JSON number); expected an integer between 1 and 65536" },
        { "lora rank 64 on hidden 64 layers", "does not fit the model" },
        { "adapters bottleneck 10^8", "fine-tuning method 'adapters'" },
        { "prefix MLP 65536", "does not fit the model" },
        { "Model.json not JSON", "Model.json is damaged" },
        { "zip bomb entry", "would expand" },
    };

    [Theory]
    [MemberData(nameof(Damage))]
    public void ADamagedOrHostileZipIsRefusedWithTheEntryAndTheProblem(string damage, string expected)
    {
        var zip = Copy();
        switch (damage)
        {
            case "weights length 2^40": Rewrite(zip, "/Weights.safetensors", b => { BitConverter.GetBytes(1L << 40).CopyTo(b, 0); return b; }); break;
            case "weights length -1": Rewrite(zip, "/Weights.safetensors", b => { BitConverter.GetBytes(-1L).CopyTo(b, 0); return b; }); break;
            case "vocab length int.MaxValue": Rewrite(zip, "/Vocab.txt", b => { BitConverter.GetBytes(int.MaxValue).CopyTo(b, 0); return b; }); break;
            case "head outputs 10^9": EditModelJson(zip, j => j["head"]!["outputs"] = 1_000_000_000); break;
            case "head outputs -1": EditModelJson(zip, j => j["head"]!["outputs"] = -1); break;
            case "hidden_size 4096": EditModelJson(zip, j => { j["encoder_config"]!["hidden_size"] = 4096; j["encoder_config"]!["intermediate_size"] = 16384; }); break;
            case "vocab_size 16777216": EditModelJson(zip, j => j["encoder_config"]!["vocab_size"] = 16_777_216); break;
            case "format 99": EditModelJson(zip, j => j["format"] = 99); break;
            case "task token-classification": EditModelJson(zip, j => j["task"] = "token-classification"); break;
            case "weights hash removed": EditModelJson(zip, j => j.Remove("weights_sha256")); break;
            case "lora rank 100000": EditModelJson(zip, j => j["method"]!["peft_config"]!["r"] = 100_000); break;
            case "lora rank 64 on hidden 64 layers": EditModelJson(zip, j => j["method"]!["peft_config"]!["r"] = 65); break;
            case "adapters bottleneck 10^8": EditModelJson(zip, j => j["method"] = new JsonObject { ["kind"] = "adapters", ["bottleneck_size"] = 100_000_000 }); break;
            case "prefix MLP 65536": EditModelJson(zip, j => j["method"] = new JsonObject { ["kind"] = "prefix", ["length"] = 4, ["hidden_size"] = 65536 }); break;
            case "Model.json not JSON": Rewrite(zip, "/Model.json", _ => { var ms = new MemoryStream(); using (var w = new BinaryWriter(ms, Encoding.UTF8, true)) w.Write("{\"format\": 1, "); return ms.ToArray(); }); break;
            case "zip bomb entry":
                using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
                {
                    var folder = archive.Entries.First(e => e.FullName.Replace('\\', '/').EndsWith("/Model.json", StringComparison.Ordinal)).FullName[..^"Model.json".Length];
                    using var w = archive.CreateEntry(folder + "Padding.bin", CompressionLevel.SmallestSize).Open();
                    w.Write(new byte[20 << 20]);
                }
                break;
        }
        var inner = LoadFailure(zip);
        Assert.IsType<InvalidDataException>(inner);
        Assert.Contains("model entry '", inner.Message);
        Assert.Contains(expected, inner.Message);
    }
}

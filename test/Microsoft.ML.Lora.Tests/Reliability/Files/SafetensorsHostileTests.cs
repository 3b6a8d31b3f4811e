using System.Buffers.Binary;
using System.Text;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Models;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>
/// safetensors files from strangers: the header must not make the reader allocate what it merely declares (sizes beyond
/// the file, shapes that disagree with their byte ranges, overlapping ranges), and every refusal names the file.
/// </summary>
public class SafetensorsHostileTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    private static byte[] File_(string header, int dataBytes, long? declaredLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, declaredLength ?? json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    public static TheoryData<string, string, int, long, string> Hostile => new()
    {
        { "header length beyond the file", "{}", 0, 1L << 40, "header length" },
        { "negative header length", "{}", 0, -8, "header length" },
        { "zero header length", "{}", 0, 0, "header length" },
        { "header length of 2^63-1", "{}", 0, long.MaxValue, "header length" },
        { "header not JSON", "{not json", 0, -1, "malformed JSON header" },
        { "header a JSON array", "[1, 2]", 0, -1, "malformed JSON header" },
        { "unknown dtype", """{"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}}""", 16, -1, "dtype 'F128'" },
        { "negative dimension", """{"w": {"dtype": "F32", "shape": [-1, 4], "data_offsets": [0, 16]}}""", 16, -1, "negative dimension" },
        { "shape bigger than its bytes", """{"w": {"dtype": "F32", "shape": [1000000, 1000000], "data_offsets": [0, 16]}}""", 16, -1, "but its data offsets span 16 bytes" },
        { "shape smaller than its bytes", """{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}}""", 16, -1, "(8 bytes) but its data offsets span 16" },
        { "shape overflowing 64 bits", """{"w": {"dtype": "F32", "shape": [4294967296, 4294967296, 4294967296], "data_offsets": [0, 16]}}""", 16, -1, "beyond any file" },
        { "offsets beyond the data", """{"w": {"dtype": "F32", "shape": [1024], "data_offsets": [0, 4096]}}""", 16, -1, "outside the 16-byte data section" },
        { "reversed offsets", """{"w": {"dtype": "F32", "shape": [0], "data_offsets": [8, 4]}}""", 16, -1, "data offsets [8, 4]" },
        { "overlapping tensors", """{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}""", 16, -1, "overlaps" },
        { "three offsets", """{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}""", 16, -1, "data offsets" },
        { "shape not a list", """{"w": {"dtype": "F32", "shape": 4, "data_offsets": [0, 16]}}""", 16, -1, "malformed JSON header" },
        { "missing dtype", """{"w": {"shape": [4], "data_offsets": [0, 16]}}""", 16, -1, "malformed JSON header" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void AHostileHeaderIsRefusedWithTheFileNamed(string what, string header, int dataBytes, long declared, string expected)
    {
        var path = temp[$"{Guid.NewGuid():N}.safetensors"];
        File.WriteAllBytes(path, File_(header, dataBytes, declared == -1 ? null : declared));
        var ex = Assert.Throws<InvalidDataException>(() => SafetensorsHeader.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void AHostileModelSafetensorsIsRefusedBeforeTheEncoderReadsIt()
    {
        var folder = Directory.CreateDirectory(temp["model"]).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyModels.Config(EncoderArchitecture.Bert).ToJson());
        File.WriteAllBytes(Path.Combine(folder, "model.safetensors"),
            File_("""{"embeddings.word_embeddings.weight": {"dtype": "F32", "shape": [100000000, 100000], "data_offsets": [0, 65536]}}""", 65536));
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(folder, addPoolingLayer: false));
        Assert.Contains("model.safetensors", ex.Message);
        Assert.Contains("data offsets span 65536 bytes", ex.Message);
    }

    [Fact]
    public void AShardIndexCannotPointOutsideTheModelFolder()
    {
        var folder = Directory.CreateDirectory(temp["sharded"]).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), TinyModels.Config(EncoderArchitecture.Bert).ToJson());
        File.WriteAllText(Path.Combine(folder, "model.safetensors.index.json"), """{"weight_map": {"a": "../../etc/passwd"}}""");
        var ex = Assert.Throws<InvalidDataException>(() => HuggingFaceCheckpoint.LoadEncoder(folder, addPoolingLayer: false));
        Assert.Contains("../../etc/passwd", ex.Message);
        Assert.Contains("not a file name in the model folder", ex.Message);
    }
}

using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Tokenization;

public sealed class TextTokenizerLoadingTests : IDisposable
{
    private static readonly string[] SmallVocabulary =
        { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "$", "ally", "café", "cafe", "Café", "##s", "bank" };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("lora-tok-test-");

    public void Dispose() => _folder.Delete(recursive: true);

    private string WriteFile(string name, string content)
    {
        string path = Path.Combine(_folder.FullName, name);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    private string[] Tokens(TextTokenizer tokenizer, string text) =>
        tokenizer.Encode(text).InputIds.Select(id => tokenizer.IdToToken(id)!).ToArray();

    [Fact]
    public void MissingVocabularyFileIsNamed()
    {
        string path = Path.Combine(_folder.FullName, "nope", "vocab.txt");
        var e = Assert.Throws<FileNotFoundException>(() => TextTokenizer.FromVocabularyFile(path, lowerCase: true));
        Assert.Equal(path, e.FileName);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void VocabularyWithoutASpecialTokenIsRejectedNamingFileAndToken()
    {
        string path = WriteFile("vocab.txt", "[PAD]\n[UNK]\n[SEP]\nhello\n");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromVocabularyFile(path, lowerCase: true));
        Assert.Contains(path, e.Message);
        Assert.Contains("[CLS]", e.Message);
    }

    [Fact]
    public void EmptyVocabularyIsRejected()
    {
        string path = WriteFile("vocab.txt", "");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromVocabularyFile(path, lowerCase: true));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void NonUtf8VocabularyIsRejected()
    {
        string path = Path.Combine(_folder.FullName, "vocab.txt");
        File.WriteAllBytes(path, new byte[] { (byte)'[', (byte)'C', 0xFF, 0xFE, 0x80, (byte)'\n' });
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromVocabularyFile(path, lowerCase: true));
        Assert.Contains("UTF-8", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void TokenizerJsonPassedAsVocabTxtIsRejected()
    {
        string path = WriteFile("vocab.txt", "{\n  \"version\": \"1.0\"\n}\n");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromVocabularyFile(path, lowerCase: true));
        Assert.Contains("JSON", e.Message);
    }

    [Fact]
    public void FolderWithoutTokenizerFilesIsRejected()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TextTokenizer.FromHuggingFaceFolder(_folder.FullName));
        Assert.Contains("tokenizer.json", e.Message);
        Assert.Contains("vocab.txt", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => TextTokenizer.FromHuggingFaceFolder(Path.Combine(_folder.FullName, "x")));
    }

    [Fact]
    public void MalformedTokenizerJsonIsRejectedNamingTheFile()
    {
        string path = WriteFile("tokenizer.json", "{ \"model\": { \"type\": \"WordPiece\", ");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromHuggingFaceFolder(_folder.FullName));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void NonWordPieceTokenizerJsonIsRejected()
    {
        WriteFile("tokenizer.json", "{ \"model\": { \"type\": \"BPE\", \"vocab\": {}, \"merges\": [] } }");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromHuggingFaceFolder(_folder.FullName));
        Assert.Contains("BPE", e.Message);
    }

    [Fact]
    public void FolderWithOnlyVocabTxtIsUncasedByDefault()
    {
        WriteFile("vocab.txt", string.Join('\n', SmallVocabulary));
        TextTokenizer tokenizer = TextTokenizer.FromHuggingFaceFolder(_folder.FullName);
        Assert.Equal(new[] { "[CLS]", "$", "ally", "cafe", "[SEP]" }, Tokens(tokenizer, "$ALLY Café"));
    }

    [Fact]
    public void TokenizerConfigDecidesCasingAndAccents()
    {
        WriteFile("vocab.txt", string.Join('\n', SmallVocabulary));
        WriteFile("tokenizer_config.json", "{ \"do_lower_case\": false, \"cls_token\": { \"content\": \"[CLS]\" } }");
        TextTokenizer cased = TextTokenizer.FromHuggingFaceFolder(_folder.FullName);
        Assert.Equal(new[] { "[CLS]", "Café", "[UNK]", "[SEP]" }, Tokens(cased, "Café ALLY"));

        WriteFile("tokenizer_config.json", "{ \"do_lower_case\": true, \"strip_accents\": false }");
        TextTokenizer lowerKeepingAccents = TextTokenizer.FromHuggingFaceFolder(_folder.FullName);
        Assert.Equal(new[] { "[CLS]", "café", "[SEP]" }, Tokens(lowerKeepingAccents, "CAFÉ"));
    }

    [Fact]
    public void MalformedTokenizerConfigValueIsNamed()
    {
        WriteFile("vocab.txt", string.Join('\n', SmallVocabulary));
        WriteFile("tokenizer_config.json", "{ \"do_lower_case\": \"yes\" }");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.FromHuggingFaceFolder(_folder.FullName));
        Assert.Contains("do_lower_case", e.Message);
        Assert.Contains("tokenizer_config.json", e.Message);
    }

    [Fact]
    public void TokenizerJsonGivesTheSameIdsAsVocabTxt()
    {
        TextTokenizer fromTxt = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);
        var vocab = new JsonObject();
        string[] lines = File.ReadAllLines(MiniLmVocabulary.Path);
        for (int id = 0; id < lines.Length; id++)
        {
            vocab[lines[id]] = id;
        }

        var tokenizerJson = new JsonObject
        {
            ["version"] = "1.0",
            ["normalizer"] = new JsonObject
            {
                ["type"] = "BertNormalizer", ["clean_text"] = true, ["handle_chinese_chars"] = true,
                ["strip_accents"] = null, ["lowercase"] = true,
            },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "BertPreTokenizer" },
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = JsonNode.Parse(
                    "[{\"SpecialToken\":{\"id\":\"[CLS]\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}}," +
                    "{\"SpecialToken\":{\"id\":\"[SEP]\",\"type_id\":0}}]"),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "WordPiece", ["unk_token"] = "[UNK]", ["continuing_subword_prefix"] = "##",
                ["max_input_chars_per_word"] = 100, ["vocab"] = vocab,
            },
        };
        WriteFile("tokenizer.json", tokenizerJson.ToJsonString());
        TextTokenizer fromJson = TextTokenizer.FromHuggingFaceFolder(_folder.FullName);

        Assert.Equal(fromTxt.VocabularySize, fromJson.VocabularySize);
        Assert.Equal((fromTxt.ClsId, fromTxt.SepId, fromTxt.PadId, fromTxt.UnkId), (fromJson.ClsId, fromJson.SepId, fromJson.PadId, fromJson.UnkId));
        foreach ((string text, _) in TestData.ReadFinancialNewsValidation().Take(300))
        {
            Assert.Equal(fromTxt.Encode(text).InputIds, fromJson.Encode(text).InputIds);
        }
    }

    [Fact]
    public void SavedVocabularyLoadsBackWithTheSameIds()
    {
        TextTokenizer original = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);
        using var saved = new MemoryStream();
        original.SaveVocabulary(saved);
        saved.Position = 0;
        TextTokenizer reloaded = TextTokenizer.FromVocabulary(saved, original.Options, "saved vocab");

        // The embedded vocabulary has CRLF line ends; the saved one has LF and the same lines.
        Assert.Equal(File.ReadAllLines(MiniLmVocabulary.Path), Encoding.UTF8.GetString(saved.ToArray()).Split('\n')[..^1]);
        Assert.Equal(original.Encode("$ALLY Café 中文").InputIds, reloaded.Encode("$ALLY Café 中文").InputIds);
    }

    [Fact]
    public void ATokenListedTwiceKeepsItsLastId()
    {
        string path = WriteFile("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nbank\nbank\n");
        TextTokenizer tokenizer = TextTokenizer.FromVocabularyFile(path, lowerCase: true);
        Assert.Equal(new[] { 2, 5, 3 }, tokenizer.Encode("bank").InputIds);
        Assert.Equal(6, tokenizer.VocabularySize);
    }

    [Fact]
    public void OptionsCanRenameSpecialTokens()
    {
        string path = WriteFile("vocab.txt", "<pad>\n<unk>\n<cls>\n<sep>\nbank\n");
        var options = new BertTokenizerOptions
        {
            PaddingToken = "<pad>", UnknownToken = "<unk>", ClassificationToken = "<cls>", SeparatorToken = "<sep>",
        };
        TextTokenizer tokenizer = TextTokenizer.FromVocabularyFile(path, options);
        Assert.Equal(new[] { 2, 4, 1, 3 }, tokenizer.Encode("bank loan").InputIds);
    }
}

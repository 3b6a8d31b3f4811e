using System.Text;
using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

public sealed class ConllReaderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("lora-conll-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string WriteFile(string text)
    {
        string path = Path.Combine(_folder, $"{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    [Fact]
    public void ReadsDocstartCrlfBlankRunsAndALastSentenceWithoutBlankLine()
    {
        string path = WriteFile(
            "-DOCSTART- -X- O O\r\n\r\n" +
            "SILICON NNP - I-ORG\r\nVALLEY NNP - I-ORG\r\nsaid VBD - O\r\n" +
            "\r\n\r\n \t\r\n" +
            "Bank NN - I-ORG\r\n" +
            "-DOCSTART- -X- O O\r\n" +
            "John NNP - I-PER\r\nLondon NNP - I-LOC");

        IReadOnlyList<ConllSentence> sentences = ConllReader.Read(path);

        Assert.Equal(3, sentences.Count);
        Assert.Equal(["SILICON", "VALLEY", "said"], sentences[0].Words);
        Assert.Equal(["I-ORG", "I-ORG", "O"], sentences[0].Tags);
        Assert.Equal(["Bank"], sentences[1].Words);
        Assert.Equal(["John", "London"], sentences[2].Words);
        Assert.Equal(["I-PER", "I-LOC"], sentences[2].Tags);
    }

    [Fact]
    public void ConvertsIoToIob2WhenTheSchemeIsGiven()
    {
        string path = WriteFile("A x - I-PER\nB x - I-PER\nand x - O\nParis x - I-LOC\nInc x - I-ORG\n");

        IReadOnlyList<ConllSentence> sentences = ConllReader.Read(path, TagScheme.Io);

        Assert.Equal(["B-PER", "I-PER", "O", "B-LOC", "B-ORG"], Assert.Single(sentences).Tags);
    }

    [Fact]
    public void ReadsTabSeparatedWordsWithAnyCharacters()
    {
        string path = WriteFile("@paulwalk\tO\nEmpire\tB-location\nState\tI-location\n\u2002x\u200B\tO\n\t\nDubbz\uFEFF\tB-person\n");

        IReadOnlyList<ConllSentence> sentences = ConllReader.Read(path, TagScheme.Iob2);

        Assert.Equal(2, sentences.Count);
        Assert.Equal(["@paulwalk", "Empire", "State", "\u2002x\u200B"], sentences[0].Words);
        Assert.Equal(["O", "B-location", "I-location", "O"], sentences[0].Tags);
        Assert.Equal(["Dubbz\uFEFF"], sentences[1].Words);
    }

    [Fact]
    public void ASingleColumnLineNamesTheFileAndLine()
    {
        string path = WriteFile("John B-PER\nSmith I-PER\n\nlonely\nword O\n");

        var error = Assert.Throws<InvalidDataException>(() => ConllReader.Read(path));

        Assert.Contains($"{path}:4:", error.Message);
        Assert.Contains("'lonely'", error.Message);
    }

    [Fact]
    public void ATagOutsideTheSchemeNamesTheFileAndLine()
    {
        string path = WriteFile("John B-PER\nSmith E-PER\n");

        var error = Assert.Throws<InvalidDataException>(() => ConllReader.Read(path, TagScheme.Iob2));

        Assert.Contains($"{path}:2:", error.Message);
        Assert.Contains("'E-PER'", error.Message);

        // Without a scheme the tags are taken as written.
        Assert.Equal(["B-PER", "E-PER"], Assert.Single(ConllReader.Read(path)).Tags);
    }

    [Fact]
    public void AnEmptyFileHasNoSentences()
    {
        Assert.Empty(ConllReader.Read(WriteFile("\n\n-DOCSTART- O\n\n")));
    }
}

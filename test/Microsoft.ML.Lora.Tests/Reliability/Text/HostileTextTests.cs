using Microsoft.ML.Data;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Text;

/// <summary>
/// Hostile text is valid input: every string gets finite probabilities that sum to 1 and a predicted class, the same from
/// batched Transform and from a PredictionEngine; nothing throws and nothing reaches native code unchecked.
/// </summary>
public class HostileTextTests(TinyClassifierFixture tiny) : IClassFixture<TinyClassifierFixture>
{
    public sealed class Input { public string Sentence1 { get; set; } = ""; }

    public sealed class Output
    {
        public float[] Score { get; set; } = Array.Empty<float>();
        public uint PredictedLabel { get; set; }
    }

    internal static readonly Dictionary<string, string> Texts = new()
    {
        ["empty"] = "",
        ["spaces"] = "     ",
        ["NUL characters"] = "\0\0the stock\0",
        ["every C0 control"] = string.Concat(Enumerable.Range(0, 32).Select(i => (char)i)),
        ["every C1 control"] = string.Concat(Enumerable.Range(0x7F, 33).Select(i => (char)i)),
        ["lone high surrogate"] = "good \uD800 news",
        ["lone low surrogate"] = "\uDC00bad",
        ["reversed surrogate pair"] = "\uDE00\uD83D",
        ["only combining marks"] = string.Concat(Enumerable.Repeat("\u0301\u0327", 500)),
        ["RTL with bidi overrides"] = "\u202Eשלום עולם\u202C \u2067مرحبا\u2069",
        ["emoji ZWJ sequences"] = "👩‍👩‍👧‍👦 📈📉 🏳️‍🌈",
        ["CJK and astral ideographs"] = "股票上涨 𠀀𪘀",
        ["BOM and zero-width"] = "\uFEFFgood\u200B\u200Dnews\u2060",
        ["private use and unassigned"] = "\uE000\uF8FF\U000F0000\U0010FFFD\u0378",
        ["noncharacters"] = "\uFFFE\uFFFF\uFDD0 profit",
        ["replacement character"] = "\uFFFD\uFFFD",
        ["100,000 characters in one word"] = new string('a', 100_000),
        ["20,000 words"] = string.Join(' ', Enumerable.Repeat("the stock market", 6_667)),
        ["line and paragraph separators"] = "good\u2028news\u2029bad",
        ["CRLF only"] = "\r\n\r\n\r\n",
        ["tab soup"] = "\t\tgood\t\v\fnews\u0085",
        ["special token text"] = "[CLS] [SEP] [PAD] [MASK] [UNK] ##s",
        ["mathematical alphanumerics"] = "𝐠𝐨𝐨𝐝 𝓷𝓮𝔀𝓼",
        ["fullwidth"] = "ｇｏｏｄ　ｎｅｗｓ",
    };

    public static TheoryData<string> Cases => new(Texts.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public void AnyTextGetsFiniteProbabilitiesThatSumToOneFromBothScoringPaths(string @case)
    {
        var text = Texts[@case];
        var data = tiny.Ml.Data.LoadFromEnumerable(new[] { new Input { Sentence1 = text }, new Input { Sentence1 = "the stock was good today" } });
        var scored = tiny.Model.Transform(data);
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.All(scores, s => Assert.True(s.Length == 3 && s.All(float.IsFinite) && Math.Abs(s.Sum() - 1) < 1e-4, string.Join(" ", s)));
        Assert.All(predicted, p => Assert.InRange(p, 1u, 3u));

        var engine = tiny.Ml.Model.CreatePredictionEngine<Input, Output>(tiny.Model);
        var single = engine.Predict(new Input { Sentence1 = text });
        Assert.Equal(predicted[0], single.PredictedLabel);
        for (int c = 0; c < 3; c++) Assert.Equal(scores[0][c], single.Score[c], 4);
    }
}

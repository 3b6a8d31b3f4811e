using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Tokenization;

public class LongestFirstTruncationTests
{
    // The table of the tokenizers library's own test (truncate_encodings_longest_first, max_length 7).
    [Theory]
    [InlineData(0, 0, 0, 0)]
    [InlineData(0, 2, 0, 2)]
    [InlineData(0, 4, 0, 4)]
    [InlineData(0, 8, 0, 7)]
    [InlineData(2, 0, 2, 0)]
    [InlineData(2, 2, 2, 2)]
    [InlineData(2, 4, 2, 4)]
    [InlineData(2, 8, 2, 5)]
    [InlineData(4, 0, 4, 0)]
    [InlineData(4, 2, 4, 2)]
    [InlineData(4, 4, 3, 4)]
    [InlineData(4, 8, 3, 4)]
    [InlineData(8, 0, 7, 0)]
    [InlineData(8, 2, 5, 2)]
    [InlineData(8, 4, 4, 3)]
    [InlineData(8, 8, 3, 4)]
    public void MatchesTheTokenizersLibrary(int first, int second, int keepFirst, int keepSecond) =>
        Assert.Equal((keepFirst, keepSecond), LongestFirstTruncation.Plan(first, second, hasPair: true, budget: 7));

    [Theory]
    [InlineData(10, 7, 7)]
    [InlineData(5, 7, 5)]
    [InlineData(3, 0, 0)]
    public void CutsTheTailOfASingleText(int length, int budget, int keep) =>
        Assert.Equal((keep, 0), LongestFirstTruncation.Plan(length, 0, hasPair: false, budget));

    [Fact]
    public void AZeroBudgetKeepsNothing() =>
        Assert.Equal((0, 0), LongestFirstTruncation.Plan(5, 6, hasPair: true, budget: 0));
}

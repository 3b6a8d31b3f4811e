using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.ML.Data;
using SentimentApi;
using SentimentApi.Client;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples;

/// <summary>
/// samples/SentimentApi in a child process on 127.0.0.1: under a bounded concurrent load every answer is the
/// PredictionEngine's, with and without micro-batching; bad requests get 400 with a message; /health describes the model.
/// </summary>
public class SentimentApiTests(SentimentApiFixture api) : IClassFixture<SentimentApiFixture>
{
    private static readonly string[] Words = TinyHuggingFaceFolder.Words[..36];

    // 300 requests: mostly one text, every tenth three; texts of 1 to 12 words from the tiny model's vocabulary.
    private static List<IReadOnlyList<string>> Requests(int count)
    {
        var random = new Random(5);
        string Text() => string.Join(' ', Enumerable.Range(0, random.Next(1, 13)).Select(_ => Words[random.Next(Words.Length)]));
        return Enumerable.Range(0, count).Select(i => (IReadOnlyList<string>)Enumerable.Range(0, i % 10 == 9 ? 3 : 1).Select(_ => Text()).ToArray()).ToList();
    }

    [Fact]
    public async Task ThreeHundredRequestsSixteenInParallelGetThePredictionEnginesAnswers()
    {
        var (results, _) = await LoadRun.RunAsync(api.Client, Requests(300), parallel: 16);
        AssertEqualToPredictionEngine(results);
    }

    [Fact]
    public async Task WithoutMicroBatchingTheAnswersAreTheSame()
    {
        using var pooled = api.Start("--batching", "off");
        using var client = new HttpClient { BaseAddress = pooled.Address };
        var health = await client.GetFromJsonAsync<HealthResponse>("health");
        Assert.False(health!.MicroBatching);
        var (results, _) = await LoadRun.RunAsync(client, Requests(64), parallel: 8);
        AssertEqualToPredictionEngine(results);
    }

    [Fact]
    public async Task HealthNamesTheModelAndItsClasses()
    {
        var health = await api.Client.GetFromJsonAsync<HealthResponse>("health");
        Assert.Equal("ok", health!.Status);
        Assert.Equal("model.zip", health.Model);
        Assert.Equal(["negative", "neutral", "positive"], health.Classes.Order());
        Assert.True(health.MicroBatching);
        Assert.Equal(32, health.MaxBatchSize);
    }

    [Theory]
    [InlineData("", "the body is empty")]
    [InlineData("not json", "the body is not the expected JSON")]
    [InlineData("{\"texts\": 5}", "the body is not the expected JSON")]
    [InlineData("{\"text\": \"a\", \"foo\": 1}", "the body is not the expected JSON")]
    [InlineData("{}", "no \"text\" or \"texts\"")]
    [InlineData("null", "JSON null")]
    [InlineData("{\"texts\": []}", "\"texts\" is empty")]
    [InlineData("{\"texts\": [\"a\", null]}", "texts[1] is null")]
    [InlineData("{\"text\": \"a\", \"texts\": [\"b\"]}", "not both")]
    public async Task ABadBodyGets400WithAMessage(string body, string message)
    {
        using var response = await api.Client.PostAsync("predict", new StringContent(body, Encoding.UTF8, "application/json"));
        await AssertBadRequest(response, message);
    }

    [Fact]
    public async Task ATenMegabyteTextAndTooManyTextsGet400()
    {
        var huge = "{\"text\": \"" + new string('a', 10 * 1024 * 1024) + "\"}";
        using (var response = await api.Client.PostAsync("predict", new StringContent(huge, Encoding.UTF8, "application/json")))
            await AssertBadRequest(response, "at most 1,048,576 are read");
        var many = new { texts = Enumerable.Repeat("good", 257).ToArray() };
        using (var response = await api.Client.PostAsJsonAsync("predict", many))
            await AssertBadRequest(response, "at most 256 per request");
        Assert.True(api.Server.IsRunning);
        using var ok = await api.Client.PostAsJsonAsync("predict", new { text = "good news" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    private static async Task AssertBadRequest(HttpResponseMessage response, string message)
    {
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<Problem>();
        Assert.Contains(message, problem!.Detail);
    }

    private void AssertEqualToPredictionEngine(IReadOnlyList<LoadResult> results)
    {
        var ml = new MLContext();
        var model = ml.Model.Load(api.Zip, out _);
        var engine = ml.Model.CreatePredictionEngine<SentimentApiFixture.TextInput, SentimentApiFixture.Prediction>(model);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        engine.OutputSchema["Score"].GetSlotNames(ref slotNames);
        var classes = slotNames.DenseValues().Select(n => n.ToString()).ToArray();
        foreach (var result in results)
        {
            Assert.Equal(200, result.Status);
            Assert.Equal(result.Texts.Count, result.Answer!.Predictions.Count);
            for (int t = 0; t < result.Texts.Count; t++)
            {
                var expected = engine.Predict(new SentimentApiFixture.TextInput { Text = result.Texts[t] });
                var actual = result.Answer.Predictions[t];
                Assert.Equal(expected.PredictedLabel, actual.Label);
                Assert.Equal(classes.Order(), actual.Probabilities.Keys.Order());
                for (int c = 0; c < classes.Length; c++) Assert.Equal(expected.Score[c], actual.Probabilities[classes[c]], 4);
            }
        }
    }

    private sealed record Problem(string? Title, string? Detail, int? Status);
}

using System.Text.Json;

namespace Microsoft.ML.Lora;

/// <summary>
/// Reads question-answering data in SQuAD v1.1's JSON format (<c>{"data": [{"title", "paragraphs": [{"context", "qas":
/// [{"id", "question", "answers": [{"text", "answer_start"}]}]}]}]}</c>), the format Hugging Face's <c>run_qa.py</c>, the
/// SQuAD evaluation script and most QA data sets use. Every answer is checked to be the context's text at its start.
/// </summary>
/// <example><code>var train = ml.Data.LoadFromEnumerable(SquadReader.Read("train-v1.1.json"));</code></example>
public static class SquadReader
{
    /// <summary>Reads a SQuAD v1.1 file (UTF-8).</summary>
    /// <param name="path">The JSON file.</param>
    /// <param name="requireAnswers">Refuse a question without answers (true: data to train or evaluate on); false accepts them (data to answer).</param>
    /// <returns>The questions in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not SQuAD JSON, a field is missing or of the wrong type, or an answer is
    /// not the context's text at its start; the message names the file and the question.</exception>
    public static IReadOnlyList<SquadQuestion> Read(string path, bool requireAnswers = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"SQuAD file not found: {Path.GetFullPath(path)}.", path);
        using var stream = File.OpenRead(path);
        return Read(stream, path, requireAnswers);
    }

    /// <summary>Reads SQuAD v1.1 JSON from a stream (left open); <paramref name="sourceName"/> names it in errors.</summary>
    /// <inheritdoc cref="Read(string, bool)"/>
    public static IReadOnlyList<SquadQuestion> Read(Stream stream, string sourceName, bool requireAnswers = true)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(sourceName);
        JsonDocument document;
        try { document = JsonDocument.Parse(stream); }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{sourceName} is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e);
        }
        using (document)
        {
            var result = new List<SquadQuestion>();
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{sourceName}: expected a JSON object with a \"data\" array (SQuAD v1.1 format).");
            int a = 0;
            foreach (var article in data.EnumerateArray())
            {
                string at = $"{sourceName}: data[{a}]";
                string title = OptionalString(article, "title", at) ?? "";
                int p = 0;
                foreach (var paragraph in RequiredArray(article, "paragraphs", at))
                {
                    string pat = $"{at}.paragraphs[{p}]";
                    string context = RequiredString(paragraph, "context", pat);
                    int q = 0;
                    foreach (var qa in RequiredArray(paragraph, "qas", pat))
                    {
                        string qat = $"{pat}.qas[{q}]";
                        string id = OptionalString(qa, "id", qat) ?? "";
                        if (id.Length > 0) qat += $" (id {id})";
                        var question = new SquadQuestion { Id = id, Title = title, Context = context, Question = RequiredString(qa, "question", qat) };
                        ReadAnswers(qa, question, qat, requireAnswers);
                        result.Add(question);
                        q++;
                    }
                    p++;
                }
                a++;
            }
            return result;
        }
    }

    private static void ReadAnswers(JsonElement qa, SquadQuestion question, string at, bool requireAnswers)
    {
        var texts = new List<string>();
        var starts = new List<int>();
        if (qa.TryGetProperty("answers", out var answers) && answers.ValueKind != JsonValueKind.Null)
        {
            if (answers.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{at}: \"answers\" is a JSON {answers.ValueKind}; expected an array.");
            int i = 0;
            foreach (var answer in answers.EnumerateArray())
            {
                string aat = $"{at}.answers[{i++}]";
                string text = RequiredString(answer, "text", aat);
                if (!answer.TryGetProperty("answer_start", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt32(out int start))
                    throw new InvalidDataException($"{aat}: \"answer_start\" is {(answer.TryGetProperty("answer_start", out var v) ? v.GetRawText() : "missing")}; expected an integer.");
                if (start < 0 || start + text.Length > question.Context.Length || string.CompareOrdinal(question.Context, start, text, 0, text.Length) != 0)
                    throw new InvalidDataException($"{aat}: the answer '{text}' is not the context's text at character {start} (the context has {question.Context.Length} characters).");
                texts.Add(text);
                starts.Add(start);
            }
        }
        if (requireAnswers && texts.Count == 0) throw new InvalidDataException($"{at}: the question has no answer (SQuAD v1.1 questions have at least one).");
        question.Answers = texts.ToArray();
        question.AnswerStarts = starts.ToArray();
    }

    private static JsonElement.ArrayEnumerator RequiredArray(JsonElement parent, string key, string at)
    {
        if (parent.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{at} is a JSON {parent.ValueKind}; expected an object.");
        return parent.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Array ? value.EnumerateArray()
            : throw new InvalidDataException($"{at}: \"{key}\" is {(parent.TryGetProperty(key, out var v) ? "a JSON " + v.ValueKind : "missing")}; expected an array.");
    }

    private static string RequiredString(JsonElement parent, string key, string at)
        => OptionalString(parent, key, at) ?? throw new InvalidDataException($"{at}: \"{key}\" is missing; expected a string.");

    private static string? OptionalString(JsonElement parent, string key, string at)
    {
        if (parent.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{at} is a JSON {parent.ValueKind}; expected an object.");
        if (!parent.TryGetProperty(key, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString()! : throw new InvalidDataException($"{at}: \"{key}\" is a JSON {value.ValueKind}; expected a string.");
    }
}

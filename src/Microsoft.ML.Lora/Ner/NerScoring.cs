using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Predicts the tags of whole sentences: windows (see <see cref="SentenceWindows"/>) scored in length-sorted batches, each
/// word's tag the most probable one at its first sub-token in the window that owns it, then the sentence repaired into
/// valid IOB2 (<see cref="TagSchemeConverter.RepairIob2"/>: an <c>I-X</c> after <c>O</c> or another type becomes <c>B-X</c>).
/// A word's confidence is the probability of its most probable tag (repair changes the prefix only, not the type).
/// </summary>
internal static class NerScoring
{
    public static NerPrediction[] Predict(FineTunedModel model, NerTagSet tags, IReadOnlyList<string[]> sentences, int overlap, int batchSize,
        out int clippedWords)
    {
        var windows = SentenceWindows.SplitAll(model.Tokenizer, sentences, null, model.MaxSequenceLength, overlap, out _, out clippedWords);
        var logits = BatchedLogits.Compute(model, windows.Select(w => w.Ids).ToList(), null, batchSize, perToken: true);
        var tagIndex = sentences.Select(s => new int[s.Length]).ToArray();
        var confidence = sentences.Select(s => new float[s.Length]).ToArray();
        int classes = tags.Count;
        for (int k = 0; k < windows.Count; k++)
        {
            var w = windows[k];
            foreach (var (word, position) in w.OwnedWords())
            {
                var p = Softmax.Probabilities(logits[k].AsSpan(position * classes, classes));
                int best = Softmax.ArgMax(p);
                tagIndex[w.Sentence][word] = best;
                confidence[w.Sentence][word] = p[best];
            }
        }
        var result = new NerPrediction[sentences.Count];
        for (int s = 0; s < result.Length; s++)
        {
            var repaired = TagSchemeConverter.RepairIob2(tagIndex[s].Select(t => tags.Tags[t]).ToArray());
            result[s] = new NerPrediction(repaired.Select(t => (uint)tags.IndexOf(t) + 1).ToArray(), confidence[s]);
        }
        return result;
    }
}

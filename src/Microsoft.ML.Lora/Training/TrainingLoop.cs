using System.Diagnostics;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>
/// The one fine-tuning loop every task uses: length-bucketed batches, AdamW with linear warmup/decay, gradient clipping,
/// validation with early stopping (best epoch restored), resumable checkpoints, progress and cancellation.
/// </summary>
internal static class TrainingLoop
{
    public static TrainingHistory Run<TExample>(TaskModel model, ITrainingTask<TExample> task, IReadOnlyList<TExample> train,
        IReadOnlyList<TExample>? validation, TrainingSettings s, Device device)
    {
        if (train.Count == 0) throw new ArgumentException("The training set is empty.", nameof(train));
        var ct = s.CancellationToken;
        var (optimizer, trainable) = OptimizerFactory.Create(model, s.LearningRate, s.WeightDecay);
        var trainableNames = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        var lengths = train.Select(task.Length).ToArray();
        int batchesPerEpoch = (train.Count + s.BatchSize - 1) / s.BatchSize;
        long totalSteps = (long)batchesPerEpoch * s.Epochs;
        var schedule = new LinearWarmupSchedule(s.LearningRate, totalSteps, s.WarmupFraction);
        if (validation is null && s.EarlyStoppingPatience is not null)
            s.Log?.Invoke("Early stopping needs a validation set; training all epochs.");

        var state = new TrainingCheckpoint.LoopState { Fingerprint = s.Fingerprint };
        Dictionary<string, Tensor>? best = null;
        var history = new TrainingHistory();
        if (s.CheckpointDirectory is { } writable) TrainingCheckpoint.EnsureWritable(writable);
        if (s.CheckpointDirectory is { } dir && TrainingCheckpoint.Find(dir) is { } found)
        {
            var saved = TrainingCheckpoint.ReadState(found, s.Fingerprint, s.Epochs, batchesPerEpoch);
            if (saved.Fingerprint != s.Fingerprint)
                s.Log?.Invoke($"Checkpoint in {found} belongs to a different run (options or data changed); starting afresh.");
            else
            {
                state = saved;
                Restore(model, TrainingCheckpoint.ReadTrainable(found, model, trainableNames));
                best = TrainingCheckpoint.ReadBest(found, model, trainableNames);
                TrainingCheckpoint.LoadOptimizer(found, optimizer);
                history.Resumed = true;
                s.Log?.Invoke($"Resuming from {found}: epoch {state.Epoch + 1}, step {state.GlobalStep} of {totalSteps}.");
            }
        }

        var clock = Stopwatch.StartNew();
        long stepsThisSession = 0, examplesThisSession = 0;
        TimeSpan? lastReport = null;   // the first step always reports
        void Report(TrainingPhase phase, double? valLoss = null, double? valMetric = null, bool force = false)
        {
            if (!force && lastReport is { } last && clock.Elapsed - last < s.ProgressInterval) return;
            lastReport = clock.Elapsed;
            double rate = examplesThisSession / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            TimeSpan? eta = stepsThisSession == 0 ? null
                : TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / stepsThisSession * (totalSteps - state.GlobalStep));
            // Between epochs the running mean is empty: report the last finished epoch's loss then.
            double loss = state.EpochLossCount > 0 ? state.EpochLossSum / state.EpochLossCount : history.Epochs.LastOrDefault()?.TrainLoss ?? double.NaN;
            var p = new TrainingProgress(phase, Math.Min(state.Epoch + 1, s.Epochs), s.Epochs, state.GlobalStep, totalSteps, loss,
                schedule.At(Math.Min(state.GlobalStep, totalSteps - 1)), rate, clock.Elapsed, eta, valLoss, valMetric);
            s.Progress?.Report(p);
            s.Log?.Invoke(p.ToString());
        }
        void SaveCheckpoint()
        {
            if (s.CheckpointDirectory is null) return;
            state.Epochs = history.Epochs.Count > state.Epochs.Count ? history.Epochs.ToList() : state.Epochs;
            TrainingCheckpoint.Save(s.CheckpointDirectory, state, Snapshot(model, trainableNames), best, optimizer);
        }

        history.AddEpochs(state.Epochs);
        history.AddStepLosses(state.StepLosses);
        history.BestEpoch = state.BestEpoch;
        try
        {
            for (; state.Epoch < s.Epochs; state.Epoch++)
            {
                var batches = LengthBucketing.TrainingBatches(lengths, s.BatchSize, s.Seed, state.Epoch);
                model.train();
                for (int b = state.BatchesDoneInEpoch; b < batches.Count; b++)
                {
                    ct.ThrowIfCancellationRequested();
                    float loss = Step(model, task, train, batches[b], optimizer, trainable, schedule.At(state.GlobalStep), s, state.GlobalStep, device);
                    if (!float.IsFinite(loss))
                        throw new InvalidOperationException($"Training diverged: loss is {loss} at step {state.GlobalStep} (epoch {state.Epoch + 1}). Lower the learning rate.");
                    state.GlobalStep++;
                    state.BatchesDoneInEpoch = b + 1;
                    state.EpochLossSum += loss;
                    state.EpochLossCount++;
                    state.StepLosses.Add(loss);
                    history.AddStepLosses(new[] { loss });
                    stepsThisSession++;
                    examplesThisSession += batches[b].Length;
                    // Freed heap left resident climbs step after step with changing batch shapes (0.8 → 1.8 GiB over the
                    // sentiment sample untrimmed); trimming every step costs more in page faults than it saves.
                    TorchRuntime.ReleaseFreedMemoryIfGrown();
                    if (s.CheckpointEverySteps > 0 && state.GlobalStep % s.CheckpointEverySteps == 0) SaveCheckpoint();
                    Report(TrainingPhase.Training);
                }

                double trainLoss = state.EpochLossSum / Math.Max(1, state.EpochLossCount);
                double? valLoss = null, valMetric = null;
                if (validation is { Count: > 0 })
                {
                    Report(TrainingPhase.Validating, force: true);
                    (valLoss, valMetric) = Evaluate(model, task, validation, s.BatchSize, device, ct);
                }
                var summary = new EpochSummary(state.Epoch + 1, trainLoss, valLoss, valMetric);
                history.AddEpochs(new[] { summary });
                state.Epochs = history.Epochs.ToList();
                s.Log?.Invoke(FormattableString.Invariant($"Epoch {summary.Epoch}/{s.Epochs}: train loss {trainLoss:F4}")
                    + (valLoss is null ? "" : FormattableString.Invariant($", validation loss {valLoss:F4}, metric {valMetric:F4}")));

                bool improved = valMetric is null || valMetric > state.BestMetric;
                if (improved)
                {
                    state.BestMetric = valMetric ?? double.NegativeInfinity;
                    state.BestEpoch = state.Epoch + 1;
                    state.EpochsWithoutImprovement = 0;
                    if (valMetric is not null)
                    {
                        DisposeAll(best);
                        best = Snapshot(model, trainableNames);
                    }
                }
                else state.EpochsWithoutImprovement++;
                history.BestEpoch = state.BestEpoch;
                state.BatchesDoneInEpoch = 0;
                state.EpochLossSum = 0;
                state.EpochLossCount = 0;
                Report(TrainingPhase.Training, valLoss, valMetric, force: true);

                if (validation is { Count: > 0 } && s.EarlyStoppingPatience is { } patience && state.EpochsWithoutImprovement >= patience
                    && state.Epoch + 1 < s.Epochs)
                {
                    s.Log?.Invoke($"Early stopping after epoch {state.Epoch + 1}: no improvement for {patience} epoch(s); keeping epoch {state.BestEpoch}.");
                    history.StoppedEarly = true;
                    state.Epoch++;
                    break;
                }
                if (state.Epoch + 1 < s.Epochs)
                {
                    state.Epoch++;   // the checkpoint records the next epoch to run
                    SaveCheckpoint();
                    state.Epoch--;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Keep what was done: the next run with the same checkpoint directory continues from here.
            SaveCheckpoint();
            throw;
        }

        if (best is not null && history.BestEpoch != history.Epochs.Count)
        {
            s.Log?.Invoke($"Restoring the weights of epoch {history.BestEpoch} (best validation metric {state.BestMetric:F4}).");
            Restore(model, best);
        }
        DisposeAll(best);
        DivergenceCheck.ThrowIfDiverged(model, task, train, trainableNames, state.GlobalStep, s.LearningRate, device);
        if (s.CheckpointDirectory is not null) TrainingCheckpoint.Delete(s.CheckpointDirectory);
        model.eval();
        Report(TrainingPhase.Completed, history.Epochs.LastOrDefault()?.ValidationLoss, history.Epochs.LastOrDefault()?.ValidationMetric, force: true);
        TorchRuntime.ReleaseFreedMemory();
        return history;
    }

    internal static float Step<TExample>(TaskModel model, ITrainingTask<TExample> task, IReadOnlyList<TExample> train, int[] indices,
        OptimizerHelper optimizer, List<Parameter> trainable, double lr, TrainingSettings s, long step, Device device)
    {
        float loss = StepCore(model, task, train, indices, optimizer, trainable, lr, s, step, device);
        TorchRuntime.CollectNativeGarbage();
        return loss;
    }

    private static float StepCore<TExample>(TaskModel model, ITrainingTask<TExample> task, IReadOnlyList<TExample> train, int[] indices,
        OptimizerHelper optimizer, List<Parameter> trainable, double lr, TrainingSettings s, long step, Device device)
    {
        using var scope = NewDisposeScope();
        // Dropout masks depend only on (seed, step): a resumed run continues exactly as an uninterrupted one would. The mask
        // sequence is this thread's; nothing in a step draws from libtorch's process-wide generator.
        DropoutMasks.Reseed(s.Seed * 1_000_003L + step);
        foreach (var g in optimizer.ParamGroups) g.LearningRate = lr;
        var examples = indices.Select(i => train[i]).ToList();
        var batch = task.Collate(examples, device);
        var logits = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        var loss = task.Loss(logits, batch);
        optimizer.zero_grad();
        loss.backward();
        if (s.MaxGradNorm > 0) nn.utils.clip_grad_norm_(trainable, s.MaxGradNorm);
        optimizer.step();
        return loss.item<float>();
    }

    /// <summary>Mean loss (weighted by examples) and the task metric over <paramref name="examples"/>, in eval and inference mode.</summary>
    public static (double Loss, double Metric) Evaluate<TExample>(TaskModel model, ITrainingTask<TExample> task,
        IReadOnlyList<TExample> examples, int batchSize, Device device, CancellationToken ct = default)
    {
        bool wasTraining = model.training;
        model.eval();
        var metric = task.CreateMetric();
        double lossSum = 0;
        try
        {
            using var _ = inference_mode();
            foreach (var idx in LengthBucketing.ScoringBatches(examples.Select(task.Length).ToArray(), batchSize))
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var part = idx.Select(i => examples[i]).ToList();
                var batch = task.Collate(part, device);
                var logits = model.forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
                lossSum += task.Loss(logits, batch).item<float>() * part.Count;
                metric.Add(logits, part);
                TorchRuntime.AfterScoringBatch(batch.InputIds.numel());
            }
        }
        finally
        {
            model.train(wasTraining);
        }
        return (lossSum / Math.Max(1, examples.Count), metric.Value);
    }

    private static Dictionary<string, Tensor> Snapshot(nn.Module model, IReadOnlyList<string> names)
    {
        var all = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return names.ToDictionary(n => n, n => all[n].detach().cpu().clone());
    }

    private static void Restore(nn.Module model, Dictionary<string, Tensor> values)
    {
        using var _ = no_grad();
        foreach (var (name, p) in model.named_parameters())
            if (values.TryGetValue(name, out var v)) p.copy_(v);
    }

    private static void DisposeAll(Dictionary<string, Tensor>? tensors)
    {
        if (tensors is null) return;
        foreach (var t in tensors.Values) t.Dispose();
    }
}

#include "evals/runner.h"

#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "engine/core/error.h"
#include "evals/encode.h"

namespace gemmeter::evals {
namespace {

// Documents scored per call of ScoreGroups: whole subjects for MMLU (so a few-shot header
// runs once per subject), at most this many otherwise. Tokenizing runs chunk by chunk, so
// the first results arrive quickly.
constexpr size_t kChunkDocs = 256;

// The documents of the chosen subjects (per-subject tasks), then the first `limit` of each
// subject (of the whole task for the others).
std::vector<MultipleChoiceDoc> SelectDocs(const TaskSpec& task, std::vector<MultipleChoiceDoc> docs,
                                          int64_t limit, const std::vector<std::string>& subjects) {
  std::set<std::string> wanted(subjects.begin(), subjects.end());
  if (task.per_subject) {
    std::set<std::string> known;
    for (const MultipleChoiceDoc& d : docs) known.insert(d.subject);
    for (const std::string& s : wanted) {
      Check(known.count(s) > 0, "{}: no subject '{}' (subjects are file names such as "
            "'high_school_physics')", task.name, s);
    }
  }
  std::vector<MultipleChoiceDoc> chosen;
  std::map<std::string, int64_t> taken;  // per subject ("" for tasks without subjects)
  for (MultipleChoiceDoc& d : docs) {
    if (task.per_subject && !wanted.empty() && wanted.count(d.subject) == 0) continue;
    if (limit <= 0 || taken[task.per_subject ? d.subject : ""]++ < limit) chosen.push_back(std::move(d));
  }
  return chosen;
}

// The documents of `shard`, in their order, assigned by token count (shard.h): the
// tokens of the document's requests (context and continuations) as they will be scored.
std::vector<MultipleChoiceDoc> ShardDocs(const TaskSpec& task, const Tokenizer& tokenizer,
                                         const std::vector<MultipleChoiceDoc>& pool, int shots,
                                         std::vector<MultipleChoiceDoc> docs, const Shard& shard) {
  std::vector<int64_t> costs;
  for (const MultipleChoiceDoc& doc : docs) {
    int64_t tokens = 0;
    for (const Request& r : BuildRequests(task, doc, ShotsFor(doc, pool, shots))) {
      const EncodedRequest e = EncodePair(tokenizer, r);
      tokens += static_cast<int64_t>(e.context.size() + e.continuation.size());
    }
    costs.push_back(tokens);
  }
  const std::vector<int> assigned = AssignShards(costs, shard.count);
  std::vector<MultipleChoiceDoc> mine;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (assigned[i] == shard.index) mine.push_back(std::move(docs[i]));
  }
  return mine;
}

}  // namespace

double TaskFlops(const ModelConfig& config, const ScoringStats& stats) {
  const double head = static_cast<double>(config.vocab_size) * static_cast<double>(config.hidden_size);
  const double blocks = static_cast<double>(config.ParameterCount()) - head;
  return 2.0 * blocks * static_cast<double>(stats.block_tokens) +
         2.0 * head * static_cast<double>(stats.scored_rows);
}

nlohmann::json DocRecord(const TaskSpec& task, int shots, const DocResult& result,
                         const std::vector<Request>* requests) {
  nlohmann::json record = {{"task", task.name}, {"shots", shots}, {"index", result.index},
                           {"gold", result.gold}};
  if (!result.subject.empty()) record["subject"] = result.subject;
  nlohmann::json ll = nlohmann::json::array(), tokens = nlohmann::json::array(),
                 chars = nlohmann::json::array(), greedy = nlohmann::json::array();
  for (const ChoiceResult& c : result.choices) {
    ll.push_back(c.log_likelihood);
    tokens.push_back(c.tokens);
    chars.push_back(c.characters);
    greedy.push_back(c.greedy);
  }
  record["loglikelihoods"] = ll;
  record["token_counts"] = tokens;
  record["choice_characters"] = chars;
  record["greedy"] = greedy;
  nlohmann::json predictions;
  for (Metric m : task.metrics) predictions[std::string(MetricName(m))] = Predict(result, m);
  record["predictions"] = predictions;
  if (requests != nullptr) {
    nlohmann::json samples = nlohmann::json::array();
    for (const Request& r : *requests) {
      samples.push_back({{"context", r.context}, {"continuation", r.continuation}});
    }
    record["requests"] = samples;
  }
  return record;
}

DocResult DocResultFromRecord(const nlohmann::json& record) {
  DocResult d;
  d.index = record.at("index").get<int64_t>();
  d.subject = record.value("subject", "");
  d.gold = record.at("gold").get<int>();
  const auto& ll = record.at("loglikelihoods");
  for (size_t i = 0; i < ll.size(); ++i) {
    d.choices.push_back({ll[i].get<double>(), record.at("token_counts")[i].get<int64_t>(),
                         record.at("choice_characters")[i].get<int64_t>(),
                         record.at("greedy")[i].get<bool>()});
  }
  return d;
}

TaskRun RunTask(Model& model, const Tokenizer& tokenizer, const TaskSpec& task,
                const EvalOptions& options, RecordLog& log,
                const std::function<void(const TaskProgress&)>& progress) {
  TaskRun run;
  run.task = &task;
  run.shots = options.shots >= 0 ? options.shots : task.default_shots;
  run.limit = options.limit;
  if (task.per_subject) run.subjects = options.subjects;
  if (run.shots > 0 && !task.has_shots) {
    Fail("{}: {} shots asked, but there is no few-shot split for this task here (0-shot only)",
         task.name, run.shots);
  }
  run.data_files = datasets::VerifyDataset(options.data_dir, task.dataset);
  std::vector<MultipleChoiceDoc> all = task.load(options.data_dir);
  Check(static_cast<int64_t>(all.size()) == task.expected_docs,
        "{}: {} documents in {}, expected {}", task.name, all.size(), options.data_dir,
        task.expected_docs);
  const std::vector<MultipleChoiceDoc> pool =
      run.shots > 0 ? task.load_shots(options.data_dir) : std::vector<MultipleChoiceDoc>{};
  std::vector<MultipleChoiceDoc> docs = SelectDocs(task, std::move(all), options.limit, run.subjects);
  run.selected_docs = static_cast<int64_t>(docs.size());
  run.shard = options.shard;
  if (options.shard.count > 1) {
    docs = ShardDocs(task, tokenizer, pool, run.shots, std::move(docs), options.shard);
  }

  // Finished documents from the log; the others are scored below.
  std::vector<std::optional<DocResult>> results(docs.size());
  std::vector<size_t> pending;
  for (size_t i = 0; i < docs.size(); ++i) {
    if (const nlohmann::json* r = log.Find(std::string(task.name), run.shots, docs[i].index)) {
      results[i] = DocResultFromRecord(*r);
      ++run.resumed;
    } else {
      pending.push_back(i);
    }
  }
  TaskProgress status{task.name, run.resumed, static_cast<int64_t>(docs.size()), run.resumed};
  progress(status);

  std::map<std::string, int64_t> subject_ids;
  const auto start = std::chrono::steady_clock::now();
  for (size_t begin = 0; begin < pending.size();) {
    // One chunk: consecutive pending documents of one subject, at most kChunkDocs of them
    // (any number for per-subject tasks, whose subjects share a few-shot header).
    size_t end = begin + 1;
    while (end < pending.size() && docs[pending[end]].subject == docs[pending[begin]].subject &&
           (task.per_subject || end - begin < kChunkDocs)) {
      ++end;
    }
    std::vector<ScoringGroup> groups;
    std::vector<std::vector<Request>> requests;
    for (size_t p = begin; p < end; ++p) {
      const MultipleChoiceDoc& doc = docs[pending[p]];
      requests.push_back(BuildRequests(task, doc, ShotsFor(doc, pool, run.shots)));
      ScoringGroup group;
      group.prefix_group = subject_ids.emplace(doc.subject, subject_ids.size()).first->second;
      for (const Request& r : requests.back()) {
        EncodedRequest e = EncodePair(tokenizer, r);
        if (group.context.empty()) group.context = std::move(e.context);
        group.continuations.push_back(std::move(e.continuation));
      }
      groups.push_back(std::move(group));
    }
    const ScoringStats stats = ScoreGroups(
        model, groups, {.batch_tokens = options.batch_tokens},
        [&](size_t g, std::vector<GroupScore> scores) {
          const size_t i = pending[begin + g];
          const MultipleChoiceDoc& doc = docs[i];
          DocResult result{doc.index, doc.subject, doc.gold, {}};
          for (size_t c = 0; c < scores.size(); ++c) {
            result.choices.push_back(
                {scores[c].log_likelihood, scores[c].tokens,
                 CountCharacters(task.choice(doc, static_cast<int>(c))), scores[c].greedy});
          }
          log.Append(DocRecord(task, run.shots, result,
                               options.log_samples ? &requests[g] : nullptr));
          results[i] = std::move(result);
          ++status.done;
          progress(status);
        });
    run.stats.block_tokens += stats.block_tokens;
    run.stats.scored_rows += stats.scored_rows;
    run.stats.forward_passes += stats.forward_passes;
    begin = end;
  }
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.flops = TaskFlops(model.config(), run.stats);
  for (auto& r : results) run.docs.push_back(std::move(*r));
  run.scores = ComputeScores(task, run.docs);
  return run;
}

}  // namespace gemmeter::evals

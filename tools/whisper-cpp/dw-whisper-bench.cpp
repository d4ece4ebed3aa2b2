// dw-whisper-bench: times whisper.cpp through its public API (whisper.h) the way
// benchmarks/inference/side-by-side times every engine: the model is loaded once (timed apart),
// optionally one untimed warm-up transcription of the first file, then each file is transcribed
// once (greedy, temperature 0 with no fallback, no timestamps, English, N threads). Each WAV
// is read by whisper.cpp's own reader (examples/common-whisper), inside the timed span.
//
// Prints one JSON line per file {"wav","text","wall_ms"} on stdout, then a summary line
// {"load_ms","max_rss_mb","encode_ms","decode_ms","prompt_ms","batchd_ms","sample_ms"} with
// whisper.cpp's own per-run timings (whisper_get_timings) of the timed runs only, and calls
// whisper_print_timings, which writes whisper.cpp's own timing block to stderr.
//
// Usage: dw-whisper-bench -m MODEL [-t THREADS] [--warmup 0|1] [--flash-attn 0|1] WAV...
#include "common-whisper.h"
#include "whisper.h"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

double now_ms() {
  using clock = std::chrono::steady_clock;
  return std::chrono::duration<double, std::milli>(clock::now().time_since_epoch()).count();
}

std::string json_escape(const std::string &s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

void quiet_log(ggml_log_level level, const char *text, void *) {
  // Keep warnings, errors and whisper_print_timings' block; drop the loader's chatter.
  static bool timings = false;
  if (std::strstr(text, "whisper_print_timings") != nullptr) timings = true;
  if (level >= GGML_LOG_LEVEL_WARN || timings) std::fputs(text, stderr);
}

int usage() {
  std::fprintf(stderr,
               "usage: dw-whisper-bench -m MODEL [-t THREADS] [--warmup 0|1] [--flash-attn 0|1] WAV...\n");
  return 2;
}

}  // namespace

int main(int argc, char **argv) {
  std::string model;
  int threads = 2;
  int warmup = 1;
  bool flash_attn = true;  // whisper-cli's default
  std::vector<std::string> wavs;
  for (int i = 1; i < argc; i++) {
    const std::string a = argv[i];
    const bool has_next = i + 1 < argc;
    if (a == "-m" && has_next) model = argv[++i];
    else if (a == "-t" && has_next) threads = std::atoi(argv[++i]);
    else if (a == "--warmup" && has_next) warmup = std::atoi(argv[++i]);
    else if (a == "--flash-attn" && has_next) flash_attn = std::atoi(argv[++i]) != 0;
    else if (!a.empty() && a[0] == '-') return usage();
    else wavs.push_back(a);
  }
  if (model.empty() || wavs.empty() || threads < 1) return usage();

  whisper_log_set(quiet_log, nullptr);
  whisper_context_params cparams = whisper_context_default_params();
  cparams.use_gpu = false;
  cparams.flash_attn = flash_attn;
  const double t_load = now_ms();
  whisper_context *ctx = whisper_init_from_file_with_params(model.c_str(), cparams);
  const double load_ms = now_ms() - t_load;
  if (ctx == nullptr) {
    std::fprintf(stderr, "dw-whisper-bench: cannot load %s\n", model.c_str());
    return 1;
  }

  whisper_full_params wparams = whisper_full_default_params(WHISPER_SAMPLING_GREEDY);
  wparams.n_threads = threads;
  wparams.language = "en";
  wparams.translate = false;
  wparams.no_timestamps = true;
  wparams.no_context = true;
  wparams.temperature = 0.0f;
  wparams.temperature_inc = 0.0f;  // no fallback: one greedy pass, as the other engines run
  wparams.greedy.best_of = 1;
  wparams.print_progress = false;
  wparams.print_realtime = false;
  wparams.print_special = false;
  wparams.print_timestamps = false;

  auto transcribe = [&](const std::string &wav, std::string &text) -> bool {
    std::vector<float> pcm;
    std::vector<std::vector<float>> stereo;
    if (!read_audio_data(wav, pcm, stereo, false)) {
      std::fprintf(stderr, "dw-whisper-bench: cannot read %s\n", wav.c_str());
      return false;
    }
    if (whisper_full(ctx, wparams, pcm.data(), static_cast<int>(pcm.size())) != 0) {
      std::fprintf(stderr, "dw-whisper-bench: whisper_full failed on %s\n", wav.c_str());
      return false;
    }
    text.clear();
    const int n = whisper_full_n_segments(ctx);
    for (int s = 0; s < n; s++) text += whisper_full_get_segment_text(ctx, s);
    return true;
  };

  std::string text;
  if (warmup > 0 && !transcribe(wavs[0], text)) return 1;
  whisper_reset_timings(ctx);
  for (const std::string &wav : wavs) {
    const double t0 = now_ms();
    if (!transcribe(wav, text)) return 1;
    const double wall_ms = now_ms() - t0;
    std::printf("{\"wav\":\"%s\",\"text\":\"%s\",\"wall_ms\":%.3f}\n", json_escape(wav).c_str(),
                json_escape(text).c_str(), wall_ms);
    std::fflush(stdout);
  }
  whisper_timings *t = whisper_get_timings(ctx);
  whisper_print_timings(ctx);
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "{\"load_ms\":%.3f,\"max_rss_mb\":%.1f,\"threads\":%d,\"flash_attn\":%s,\"encode_ms\":%.3f,"
      "\"decode_ms\":%.3f,\"prompt_ms\":%.3f,\"batchd_ms\":%.3f,\"sample_ms\":%.3f,\"system_info\":\"%s\"}\n",
      load_ms, ru.ru_maxrss / 1024.0, threads, flash_attn ? "true" : "false", t ? t->encode_ms : -1.0,
      t ? t->decode_ms : -1.0, t ? t->prompt_ms : -1.0, t ? t->batchd_ms : -1.0, t ? t->sample_ms : -1.0,
      json_escape(whisper_print_system_info()).c_str());
  delete t;
  whisper_free(ctx);
  return 0;
}

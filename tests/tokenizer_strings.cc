#include "tests/tokenizer_strings.h"

#include <openssl/evp.h>

#include <cstring>

#include "datasets/hellaswag.h"
#include "datasets/mmlu.h"
#include "datasets/piqa.h"
#include "engine/core/error.h"

namespace gemmeter::test {

std::vector<std::string> TokenizerStrings(const std::string& dataset, const std::string& root) {
  std::vector<std::string> strings;
  if (dataset == "piqa") {
    for (const auto& item : datasets::LoadPiqa(root)) {
      strings.insert(strings.end(), {item.context, item.choices[0], item.choices[1],
                                     " " + item.choices[0], " " + item.choices[1]});
    }
  } else if (dataset == "mmlu") {
    for (const char* split : {"dev", "test"}) {
      for (const auto& q : datasets::LoadMmlu(root, split)) {
        strings.push_back(q.context);
        strings.insert(strings.end(), q.choices.begin(), q.choices.end());
      }
    }
  } else if (dataset == "hellaswag") {
    for (const auto& item : datasets::LoadHellaswag(root)) {
      strings.push_back(item.context);
      for (const auto& ending : item.choices) strings.push_back(" " + ending);
    }
  } else {
    Fail("unknown dataset '{}'", dataset);
  }
  return strings;
}

std::string IdsDigest(const std::vector<std::vector<int32_t>>& ids) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  const int32_t separator = -1;
  for (const auto& row : ids) {
    EVP_DigestUpdate(ctx, row.data(), row.size() * sizeof(int32_t));  // little-endian host
    EVP_DigestUpdate(ctx, &separator, sizeof separator);
  }
  unsigned char digest[32];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned i = 0; i < len; ++i) {
    static const char* kHex = "0123456789abcdef";
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

}  // namespace gemmeter::test

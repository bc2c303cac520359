// gtest helpers for Status and Result<T>: ASSERT_OK / EXPECT_OK print the status on failure;
// ASSERT_OK_AND_ASSIGN(lhs, expr) unwraps a Result or fails the test. Header only.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "common/status.hpp"

namespace parley::testing {

inline std::string StatusText(const Status& s) { return s.ToString(); }
template <typename T>
std::string StatusText(const Result<T>& r) {
  return r.status().ToString();
}

}  // namespace parley::testing

#define PARLEY_CONCAT_INNER_(a, b) a##b
#define PARLEY_CONCAT_(a, b) PARLEY_CONCAT_INNER_(a, b)
#define ASSERT_OK(expr)                                                      \
  do {                                                                       \
    const auto& parley_r_ = (expr);                                          \
    ASSERT_TRUE(parley_r_.ok()) << ::parley::testing::StatusText(parley_r_); \
  } while (false)
#define EXPECT_OK(expr)                                                      \
  do {                                                                       \
    const auto& parley_r_ = (expr);                                          \
    EXPECT_TRUE(parley_r_.ok()) << ::parley::testing::StatusText(parley_r_); \
  } while (false)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(PARLEY_CONCAT_(parley_result_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr)             \
  auto tmp = (expr);                                           \
  ASSERT_TRUE(tmp.ok()) << ::parley::testing::StatusText(tmp); \
  lhs = std::move(tmp).value()
